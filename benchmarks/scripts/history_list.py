"""Time ``runs list --where … [--sort …] --columns …`` inside one process, warm (JSON on stdout):
``history_list.py WHERE COLUMNS SORT``.

What ``framework runs list`` does between its imports and its printing
(`framework.reports.run_list.list_rows`), once untimed (imports, the store's connection),
then five times each with and without the sort (medians): the cost of the listing itself,
apart from starting Python and importing the framework and the store's driver.
"""

import json
import statistics
import sys
import time

from framework import Client
from framework.reports.run_list import list_rows

where, columns, sort = sys.argv[1], sys.argv[2], sys.argv[3]
client = Client()
found = list_rows(client, where=[where], sort=sort, columns=columns)  # warm-up, untimed


def median_of(action, rounds: int = 5) -> float:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


print(json.dumps({
    "sorted": median_of(lambda: list_rows(client, where=[where], sort=sort, columns=columns)),
    "newest": median_of(lambda: list_rows(client, where=[where], columns=columns)),
    "matching": found["total"],
}))

from steps.data import wine_loader, splitter, SplitterParams
from steps.models import tree_trainer, TreeParams
from steps.reporting import reporter

__all__ = ["wine_loader", "splitter", "SplitterParams", "tree_trainer", "TreeParams", "reporter"]

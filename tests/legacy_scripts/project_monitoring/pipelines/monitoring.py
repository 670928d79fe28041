from framework.pipelines import pipeline


@pipeline(enable_cache=False, on_success="alerts.hooks.notify_success")
def drift_pipeline(reference_loader, batch_loader, checker, publisher):
    reference = reference_loader()
    current = batch_loader()
    drift, worst = checker(reference=reference, current=current)
    publisher(drift=drift)

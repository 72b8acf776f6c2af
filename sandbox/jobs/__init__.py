"""The job queue: the Run model, publishing, leases, the sweep and what a worker does with a claimed run."""

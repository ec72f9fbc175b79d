"""glance-api's asynchronous tasks: the runner each api worker process keeps, the task
types it runs (legacy_import.py), and their options."""

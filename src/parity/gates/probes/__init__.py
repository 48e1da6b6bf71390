"""Scripts run inside a workload's own venv (so gates use the images' exact versions).
They import nothing from parity and print one JSON document on stdout."""

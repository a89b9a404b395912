import os

# The suppression's matrices are small (tens to hundreds of rows): one BLAS thread per process solves
# them three to four times faster than a pool of threads fighting the web and worker processes for the
# cores. Set before anything imports numpy; an explicit setting in the environment wins.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

from config.celery import app as celery_app  # noqa: E402

__all__ = ("celery_app",)

# Glassbox: one Streamlit process per container, running as a non-root user.
FROM python:3.11.7-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    OMP_NUM_THREADS=1 \
    MALLOC_ARENA_MAX=2

RUN useradd --create-home --uid 10001 glassbox
WORKDIR /app

# Where pip looks for packages; unset by default (then pip uses its usual index). On x86_64, set
# PIP_EXTRA_INDEX_URL to PyTorch's CPU-only wheel index: the default torch wheel bundles GPU libraries of several GB.
# PIP_INDEX_URL replaces the usual index, e.g. with a private mirror. pip reads both from the environment.
ARG PIP_INDEX_URL
ARG PIP_EXTRA_INDEX_URL
COPY requirements.txt requirements.lock ./
# requirements.lock pins every transitive dependency too, so a rebuild gets the versions that were tested.
RUN pip install -r requirements.txt -c requirements.lock

COPY --chown=root:root . .
# The app writes nothing at run time, so the code can stay owned by root and read-only for the app user.
USER glassbox

EXPOSE 8501
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=2).read().strip() == b'ok' else 1)"

# Set STREAMLIT_BROWSER_SERVER_ADDRESS to the public host name at deploy time: Streamlit then shows the right URL
# and skips its start-up lookup of the machine's public IP (an outside request; it fails closed when offline).
# 0.0.0.0 is inside the container only: a published port reaches the container's own network interface, never
# its loopback, so 127.0.0.1 here would make the app unreachable. Choose who can reach it when you publish the
# port: `-p 127.0.0.1:8501:8501` lets only the host (nginx there) in; behind nginx in another container, publish
# nothing and share a Docker network instead (deploy/README.md).
CMD ["python", "-m", "streamlit", "run", "app.py", "--server.port=8501", "--server.address=0.0.0.0"]

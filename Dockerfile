# The hotline as a container image: what the Procfile runs, for hosts that run images rather than
# Procfiles. Build from the checkout (`docker build -t ivr-hotline .`); an invalid configuration fails
# the build. Secrets are given at run time only (docs/administrators.md, "Running on your own server").
FROM python:3.11-slim

# espeak-ng and sox build the Persian prompts, which no Twilio voice speaks: the server builds them
# itself when a change needs new ones; graphviz draws the web simulator's picture of the menu (when the
# simulator is opened with IVR_SIMULATOR_PASSWORD). Debian's versions follow the base image, hence no pins.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends espeak-ng sox libsox-fmt-mp3 graphviz \
    && rm -rf /var/lib/apt/lists/*

# The server never runs as root: it writes only instance/ and prompts/, which this user owns.
RUN groupadd --gid 10001 ivr && useradd --uid 10001 --gid ivr --create-home ivr
WORKDIR /app
COPY --chown=ivr:ivr . .
# Editable, as make does: the package finds config/, prompts/ and instance/ beside its code, here in /app.
RUN pip install --no-cache-dir -e . && mkdir -p instance && chown ivr:ivr instance
# ivr, by number: a host or an orchestrator checking that the image does not run as root reads a number.
USER 10001:10001

# The Procfile's release step, at build time: a configuration ivr check refuses never becomes an image.
RUN ivr check

# instance/: the last configuration found valid (served by a container that starts while the files are
# not) and the checks kept by content; with no DATABASE_URL, the SQLite call-event log too.
VOLUME ["/app/instance"]
ENV PORT=8000
EXPOSE 8000
# The Procfile's web command, through a shell for $PORT and ${WEB_CONCURRENCY:-2}; exec, so that
# gunicorn itself gets docker's stop signal and finishes the calls it is answering.
CMD ["sh", "-c", "exec gunicorn --bind 0.0.0.0:$PORT --workers ${WEB_CONCURRENCY:-2} 'ivr:create_app()'"]

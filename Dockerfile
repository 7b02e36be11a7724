# The argo-oss image: the self-contained CLI bundle from `npm run build` (dist/cli/argo-oss.cjs, no
# node_modules) on a small Node 20 base, run as the non-root `node` user.
#
# Its entrypoint is the Argo artifact plugin (`argo-oss plugin SOCKET`). Init containers that put the CLI
# into a workflow pod for `argo-oss upload` override the command:
#   command: [cp, /opt/argo-oss/argo-oss.cjs, /argo-oss/argo-oss.cjs]   (examples/upload-workflow.yaml)
#
# Build and push (docs/deploy.md#container-image):
#   npm ci && npm run build
#   docker build -t <registry>/<namespace>/argo-oss:0.1.0 .
#   docker push <registry>/<namespace>/argo-oss:0.1.0
FROM node:20-alpine
COPY dist/cli/argo-oss.cjs dist/cli/package.json /opt/argo-oss/
# Temporary files (spooled tgz parts) go to /tmp, writable by the user; with a read-only root
# filesystem mount an emptyDir there.
ENV TMPDIR=/tmp
USER node
WORKDIR /tmp
ENTRYPOINT ["node", "/opt/argo-oss/argo-oss.cjs", "plugin"]

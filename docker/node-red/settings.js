// Node-RED settings of the standalone Loopgate runtime (docker/node-red.Dockerfile).
// Flows call the gateway with the service token from LOOPGATE_TOKEN; nothing here can reach an MES.
'use strict';

const adminHash = process.env.NODE_RED_ADMIN_PASSWORD_HASH;

module.exports = {
  uiPort: Number(process.env.PORT || 1880),
  userDir: '/data',
  flowFile: 'flows.json',
  flowFilePretty: true,
  credentialSecret: process.env.NODE_RED_CREDENTIAL_SECRET || false,
  // The editor needs a login in production: bcrypt hash of the admin password (node-red admin hash-pw).
  adminAuth: adminHash
    ? {
        type: 'credentials',
        users: [{ username: process.env.NODE_RED_ADMIN_USER || 'admin', password: adminHash, permissions: '*' }],
      }
    : undefined,
  disableEditor: process.env.NODE_RED_DISABLE_EDITOR === 'true',
  logging: { console: { level: process.env.NODE_RED_LOG_LEVEL || 'info', metrics: false, audit: false } },
  editorTheme: { projects: { enabled: false }, palette: { editable: false } },
  functionExternalModules: false,
};

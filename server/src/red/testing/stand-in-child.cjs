// A stand-in for red-child.js speaking the same IPC: answers `start` with the port of a tiny HTTP server.
const http = require('node:http');

process.on('disconnect', () => process.exit(0));
process.on('message', (message) => {
  if (message.type === 'stop') process.exit(0);
  if (message.type !== 'start') return;
  const server = http.createServer((req, res) => res.end(String(process.pid)));
  server.listen(0, '127.0.0.1', () => {
    process.send({ type: 'listening', port: server.address().port, uid: process.getuid(), gid: process.getgid() });
  });
});

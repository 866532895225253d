// Stand-in for Docker Engine's daemon on fleet nodes: what a node upgrade runbook sees of it.
//
//   dockerd [-H fd://] [--containerd=...]   listen on /var/run/docker.sock (the API: /_ping and
//                                           /version answer; nothing runs containers)
//   dockerd --version | -v                  "Docker version 24.0.7, build afdd53b"
//
// Version baked in by the docker-ce package (__DOCKER_VERSION__). SIGTERM or SIGINT: removes the
// socket, exits 0. Plain JavaScript with no dependencies.
import fs from 'node:fs';
import http from 'node:http';

/* global __DOCKER_VERSION__ */
const VERSION = typeof __DOCKER_VERSION__ === 'string' ? __DOCKER_VERSION__ : '24.0.7';
const SOCKET = '/var/run/docker.sock';

if (process.argv.includes('--version') || process.argv.includes('-v')) {
  process.stdout.write(`Docker version ${VERSION}, build afdd53b\n`);
  process.exit(0);
}

fs.mkdirSync('/var/run', { recursive: true });
fs.rmSync(SOCKET, { force: true });
const server = http.createServer((req, res) => {
  if (req.url?.endsWith('/_ping')) {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Api-Version': '1.43' }).end('OK');
    return;
  }
  if (req.url?.endsWith('/version')) {
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ Version: VERSION, ApiVersion: '1.43', Os: 'linux', Arch: 'amd64' }));
    return;
  }
  res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"message":"page not found"}');
});
server.listen(SOCKET, () => process.stdout.write(`API listen on ${SOCKET}\n`));

function stop() {
  server.close();
  fs.rmSync(SOCKET, { force: true });
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

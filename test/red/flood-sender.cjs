// The body flood's senders, in their own process so the test's own timing of /health is not
// slowed by pumping megabytes. argv: port, milliseconds, maximum requests, senders, attacks (JSON).
// Sends { sent, answers: { [attack]: { [answer]: count } } } over IPC when done.
const http = require('node:http');
const os = require('node:os');

// The flood stands for senders on other machines: their cost of making megabytes of bodies is
// theirs, not the gateway host's. On this shared machine the senders run at the lowest priority,
// so that what the test compares is the gateway's own handling of the flood, not which process
// the kernel schedules on the two cores.
os.setPriority(19);

const [port, ms, max, senders] = process.argv.slice(2, 6).map(Number);
const attacks = JSON.parse(process.argv[6]).map((a) => ({ ...a, body: bodyOf(a) }));

function bodyOf(a) {
  if (a.form) return Buffer.from(`grant_type=password&a${'[b]'.repeat(a.depth)}=1`);
  const pad = Math.max(0, a.bytes - a.depth * 2 - 8);
  return Buffer.from(`${'['.repeat(a.depth)}"${'x'.repeat(pad)}"${']'.repeat(a.depth)}`);
}

// Streams one body in 64 KB chunks until the gateway answers or closes.
function send(attack) {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (answer) => {
      if (settled) return;
      settled = true;
      resolve(answer);
    };
    const headers = { 'content-type': attack.contentType };
    if (!attack.chunked) headers['content-length'] = attack.body.length;
    const req = http.request(
      { host: '127.0.0.1', port, method: 'POST', path: attack.path, headers, agent: false },
      (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk.toString()));
        res.on('end', () => {
          let code = 'not-json';
          try {
            code = JSON.parse(text).code ?? '';
          } catch {
            code = 'not-json';
          }
          settle(`${res.statusCode} ${code}`);
          req.destroy();
        });
        res.on('error', () => settle('response-error'));
      },
    );
    req.on('error', (error) => settle(`closed ${error.code ?? ''}`.trim()));
    let offset = 0;
    const pump = () => {
      while (!settled && !req.destroyed && offset < attack.body.length) {
        const chunk = attack.body.subarray(offset, offset + 64 * 1024);
        offset += chunk.length;
        if (offset >= attack.body.length) return void req.end(chunk);
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
    };
    pump();
  });
}

let stop = false;
process.on('message', (m) => {
  if (m === 'stop') stop = true;
});

async function main() {
  const ends = Date.now() + ms;
  const answers = {};
  let sent = 0;
  const sender = async (offset) => {
    for (let i = offset; !stop && sent < max && Date.now() < ends; i++) {
      const attack = attacks[i % attacks.length];
      sent++;
      if (sent === senders) process.send({ started: true });
      const answer = await send(attack);
      answers[attack.name] ??= {};
      answers[attack.name][answer] = (answers[attack.name][answer] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: senders }, (_, i) => sender(i)));
  process.send({ sent, answers }, () => process.exit(0));
}
main();

// A minimal SMTP sink for the benches, run as a child process (smtp-server tops out near 10k
// msg/s and would share the measured process's CPU): accepts everything, keeps nothing, counts.
// Sends its port to the parent over IPC; answers the message 'count' with { count }.
const net = require('node:net');

let count = 0;
const server = net.createServer((s) => {
  s.setNoDelay(true);
  let data = false;
  let buf = '';
  s.write('220 sink ESMTP\r\n');
  s.on('data', (chunk) => {
    buf += chunk.toString('latin1');
    for (;;) {
      if (data) {
        const end = buf.indexOf('\r\n.\r\n');
        if (end < 0) {
          if (buf.length > 8) buf = buf.slice(-8);
          return;
        }
        buf = buf.slice(end + 5);
        data = false;
        count++;
        s.write('250 2.0.0 Ok: queued\r\n');
        continue;
      }
      const nl = buf.indexOf('\r\n');
      if (nl < 0) return;
      const line = buf.slice(0, nl).toUpperCase();
      buf = buf.slice(nl + 2);
      if (line.startsWith('EHLO')) s.write('250-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n');
      else if (line.startsWith('DATA')) {
        data = true;
        s.write('354 go ahead\r\n');
      } else if (line.startsWith('QUIT')) {
        s.end('221 bye\r\n');
        return;
      } else s.write('250 2.0.0 Ok\r\n');
    }
  });
  s.on('error', () => {});
});
server.listen(0, '127.0.0.1', () => process.send(server.address().port));
process.on('message', (m) => {
  if (m === 'count') process.send({ count });
});
process.on('disconnect', () => process.exit(0));

// Logs every notification it receives, one JSON line each, so `docker compose logs webhook` shows them.
import { createServer } from 'node:http';

const port = Number(process.env.PORT ?? 5001);

const server = createServer((req, res) => {
  if (req.method !== 'POST') {
    res.writeHead(200).end('ok\n');
    return;
  }
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    let payload;
    try {
      payload = JSON.parse(body);
    } catch {
      payload = body;
    }
    console.log(JSON.stringify({ time: new Date().toISOString(), path: req.url, payload }));
    res.writeHead(200).end();
  });
});
server.listen(port, () => console.log(`webhook receiver listening on :${server.address().port}`));

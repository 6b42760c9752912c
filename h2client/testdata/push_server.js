// A Node.js HTTP/2 server for the h2client interop tests (node's built-in
// http2 module). Usage:
//
//	node push_server.js PORT [CERT KEY]
//
// With CERT and KEY it serves TLS (ALPN h2), else h2c with prior
// knowledge. It prints "listening PORT" once ready. Routes:
//
//	/hello           "hello"
//	/bytes?n=N       N bytes of the tests' pattern
//	/echo            the request body, streamed back
//	/trailers        "body" with trailer x-sum: 42
//	/push            "main", pushing /pushed ("pushed body") first
'use strict';
const http2 = require('http2');
const fs = require('fs');

const [port, certFile, keyFile] = process.argv.slice(2);

function pattern(i) { return (i * 7 + Math.floor(i / 251)) & 0xff; }

function patternBytes(off, n) {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = pattern(off + i);
  return b;
}

function onStream(stream, headers) {
  const url = new URL(headers[':path'], 'http://x');
  switch (url.pathname) {
    case '/hello':
      stream.respond({ ':status': 200, 'content-type': 'text/plain' });
      stream.end('hello');
      return;
    case '/bytes': {
      const n = parseInt(url.searchParams.get('n') || '0', 10);
      stream.respond({ ':status': 200, 'content-length': n });
      let off = 0;
      const write = () => {
        while (off < n) {
          const k = Math.min(16384, n - off);
          const ok = stream.write(patternBytes(off, k));
          off += k;
          if (!ok) { stream.once('drain', write); return; }
        }
        stream.end();
      };
      write();
      return;
    }
    case '/echo':
      stream.respond({ ':status': 200 });
      stream.pipe(stream);
      return;
    case '/trailers':
      stream.respond({ ':status': 200, 'trailer': 'x-sum' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'x-sum': '42' }));
      stream.end('body');
      return;
    case '/push':
      if (stream.pushAllowed) {
        stream.pushStream({ ':path': '/pushed' }, (err, push) => {
          if (err) { return; }
          push.on('error', () => {});
          push.respond({ ':status': 200, 'content-type': 'text/plain' });
          push.end('pushed body');
        });
      }
      stream.respond({ ':status': 200, 'x-push-allowed': String(stream.pushAllowed) });
      stream.end('main');
      return;
    default:
      stream.respond({ ':status': 404 });
      stream.end();
  }
}

const server = certFile
  ? http2.createSecureServer({ cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile) })
  : http2.createServer();
server.on('stream', (stream, headers) => {
  stream.on('error', () => {});
  onStream(stream, headers);
});
server.on('sessionError', () => {});
server.listen(parseInt(port, 10), '127.0.0.1', () => {
  console.log('listening ' + server.address().port);
});
process.stdin.on('end', () => process.exit(0)); // the test closes stdin to stop us
process.stdin.resume();

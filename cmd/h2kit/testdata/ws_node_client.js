// A WebSocket client over HTTP/2 (RFC 8441) written with Node.js's own
// http2 module and nothing else: it opens the WebSocket with an extended
// CONNECT once the server's SETTINGS enable it, frames its messages by
// hand (RFC 6455, Section 5: masked, as a client must), and prints one
// JSON line with what happened, for ws_peers_test.go.
//
// usage: node ws_node_client.js URL MESSAGE
"use strict";
const http2 = require("http2");
const crypto = require("crypto");

const [url, message] = process.argv.slice(2);
const target = new URL(url);
const result = { settings: null, status: 0, headers: {}, messages: [], close: null, error: null };
const done = (err) => {
  if (err) result.error = String(err && err.message || err);
  process.stdout.write(JSON.stringify(result) + "\n");
  process.exit(0);
};
setTimeout(() => done("timeout"), 10000).unref();

// frame builds one masked client frame (RFC 6455, Section 5.2).
function frame(opcode, payload) {
  const mask = crypto.randomBytes(4);
  let head;
  if (payload.length < 126) {
    head = Buffer.from([0x80 | opcode, 0x80 | payload.length]);
  } else {
    head = Buffer.alloc(4);
    head[0] = 0x80 | opcode;
    head[1] = 0x80 | 126;
    head.writeUInt16BE(payload.length, 2);
  }
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] ^= mask[i % 4];
  return Buffer.concat([head, mask, body]);
}

// parse takes the complete server frames off the front of buf (a server's
// frames are not masked, Section 5.1) and returns [frames, rest].
function parse(buf) {
  const frames = [];
  for (;;) {
    if (buf.length < 2) break;
    const fin = (buf[0] & 0x80) !== 0;
    const opcode = buf[0] & 0x0f;
    if (buf[1] & 0x80) throw new Error("server frame is masked (RFC 6455, Section 5.1)");
    let len = buf[1] & 0x7f;
    let off = 2;
    if (len === 126) {
      if (buf.length < 4) break;
      len = buf.readUInt16BE(2);
      off = 4;
    } else if (len === 127) {
      if (buf.length < 10) break;
      len = Number(buf.readBigUInt64BE(2));
      off = 10;
    }
    if (buf.length < off + len) break;
    frames.push({ fin, opcode, payload: buf.subarray(off, off + len) });
    buf = buf.subarray(off + len);
  }
  return [frames, buf];
}

const session = http2.connect(target.origin, { rejectUnauthorized: false });
session.on("error", done);
session.once("remoteSettings", (settings) => {
  result.settings = { enableConnectProtocol: !!settings.enableConnectProtocol };
  if (!settings.enableConnectProtocol) return done("the server did not send SETTINGS_ENABLE_CONNECT_PROTOCOL = 1");
  // RFC 8441, Section 4 and 5: CONNECT with :protocol, :scheme, :path,
  // :authority; Sec-WebSocket-Version stays, Sec-WebSocket-Key does not.
  const req = session.request({
    ":method": "CONNECT",
    ":protocol": "websocket",
    ":scheme": target.protocol.replace(":", ""),
    ":path": target.pathname,
    ":authority": target.host,
    "sec-websocket-version": "13",
    "origin": target.origin,
  }, { endStream: false });
  req.on("error", done);
  let buf = Buffer.alloc(0);
  req.on("response", (headers) => {
    result.status = headers[":status"];
    for (const k of Object.keys(headers)) if (!k.startsWith(":")) result.headers[k] = headers[k];
    if (result.status !== 200) return done("status " + result.status);
    req.write(frame(0x1, Buffer.from(message)));
  });
  req.on("data", (chunk) => {
    let frames;
    [frames, buf] = parse(Buffer.concat([buf, chunk]));
    for (const f of frames) {
      if (f.opcode === 0x1) {
        result.messages.push(f.payload.toString("utf8"));
        if (result.messages.length === 2) {
          // The carrier line and the echo: close (1000, Section 7.4.1).
          const code = Buffer.alloc(2);
          code.writeUInt16BE(1000);
          req.write(frame(0x8, code));
        }
      } else if (f.opcode === 0x8) {
        result.close = f.payload.length >= 2 ? f.payload.readUInt16BE(0) : 1005;
        req.end();
      }
    }
  });
  req.on("end", () => { session.close(); done(); });
});

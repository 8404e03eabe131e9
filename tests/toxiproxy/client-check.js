// Drives `loadgen proxy` with the Node Toxiproxy client from the npm
// registry (pinned in package-lock.json), one call after another, and
// measures each call's effect on a real TCP echo through the proxy. Prints
// one JSON line per step; tests/test_toxiproxy_client.py checks them.
//   node client-check.js API ECHO_UPSTREAM AMQP_UPSTREAM   (mode "all")
//   node client-check.js API - - reset                      (reset only)
"use strict";
const net = require("net");
const { Toxiproxy } = require("toxiproxy-node-client");

const [api, echoUp, amqpUp, mode = "all"] = process.argv.slice(2);
const tp = new Toxiproxy(api);
const say = (step, fields) => console.log(JSON.stringify({ step, ...fields }));

function hostPort(listen) {
  const i = listen.lastIndexOf(":");
  return [listen.slice(0, i), Number(listen.slice(i + 1))];
}

// Median round trip of 64 bytes through the proxy (ms); null when refused.
function rtt(listen, n = 15) {
  const [host, port] = hostPort(listen);
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.setNoDelay(true);
    const times = [];
    let t0, got = 0;
    const next = () => { t0 = process.hrtime.bigint(); got = 0; s.write(Buffer.alloc(64, 120)); };
    s.on("connect", next);
    s.on("data", (d) => {
      got += d.length;
      if (got < 64) return;
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (times.length < n) return next();
      s.destroy();
      times.sort((a, b) => a - b);
      resolve(times[Math.floor(times.length / 2)]);
    });
    s.on("error", () => resolve(null));
    s.setTimeout(5000, () => { s.destroy(); resolve(null); });
  });
}

async function main() {
  if (mode === "reset") {
    await tp.reset();
    const all = await tp.getAll();
    say("reset", { proxies: Object.fromEntries(Object.entries(all).map(([k, p]) => [k, p.enabled])) });
    return;
  }
  say("getVersion", { text: await tp.getVersion() });
  const pop = await tp.populate([
    { name: "echo", listen: "127.0.0.1:0", upstream: echoUp },
    { name: "amqp", listen: "127.0.0.1:0", upstream: amqpUp },
  ]);
  say("populate", { names: Object.keys(pop).sort(), listen: pop.echo.listen, amqp_listen: pop.amqp.listen });
  const all = await tp.getAll();
  say("getAll", { names: Object.keys(all).sort() });
  let echo = await tp.get("echo");
  say("get", { name: echo.name, enabled: echo.enabled, upstream: echo.upstream, rtt: await rtt(echo.listen) });

  const lat = await echo.addToxic({ name: "lat", type: "latency", stream: "downstream", toxicity: 1,
                                    attributes: { latency: 50, jitter: 0 } });
  say("addToxic", { name: lat.name, type: lat.type, attributes: lat.attributes, rtt: await rtt(echo.listen) });
  const got = await echo.getToxic("lat");
  say("getToxic", { name: got.name, stream: got.stream, attributes: got.attributes });
  const upd = await got.update({ attributes: { latency: 100 } });
  say("Toxic.update", { attributes: upd.attributes, rtt: await rtt(echo.listen, 7) });
  await upd.remove();
  say("Toxic.remove", { rtt: await rtt(echo.listen), toxics: (await (await fetch(`${api}/proxies/echo/toxics`)).json()).length });

  // the client sends the whole proxy back: listen and upstream unchanged
  const off = await echo.update({ ...echo.toJson(), enabled: false });
  say("Proxy.update", { enabled: off.enabled, listen_same: off.listen === echo.listen, rtt: await rtt(echo.listen) });
  const on = await off.update({ ...off.toJson(), enabled: true });
  say("Proxy.update enable", { enabled: on.enabled, rtt: await rtt(on.listen) });

  // populate again: the same listen and upstream keep the proxy and its
  // toxics; a new upstream replaces it
  await on.addToxic({ name: "kept", type: "latency", stream: "downstream", attributes: { latency: 30 } });
  const again = await tp.populate([{ name: "echo", listen: on.listen, upstream: echoUp }]);
  const kept = await (await fetch(`${api}/proxies/echo/toxics`)).json();
  say("populate same", { listen_same: again.echo.listen === on.listen, toxics: kept.map((t) => t.name), rtt: await rtt(on.listen, 7) });
  const moved = await tp.populate([{ name: "echo", listen: "127.0.0.1:0", upstream: echoUp }]);
  const after = await (await fetch(`${api}/proxies/echo/toxics`)).json();
  say("populate replace", { relisten: moved.echo.listen !== on.listen, toxics: after.length,
                            old_rtt: await rtt(on.listen), rtt: await rtt(moved.echo.listen) });
  echo = moved.echo;

  const extra = await tp.createProxy({ name: "extra", listen: "127.0.0.1:0", upstream: echoUp });
  say("createProxy", { name: extra.name, rtt: await rtt(extra.listen) });
  await extra.remove();
  let status = null;
  try { await tp.get("extra"); } catch (e) { status = String(e.message || e); }
  say("Proxy.remove", { get_error: status, rtt: await rtt(extra.listen) });

  // errors as Toxiproxy's: status and body
  const dup = await fetch(`${api}/proxies`, { method: "POST", headers: { "Content-Type": "application/json" },
                                              body: JSON.stringify({ name: "echo", listen: "127.0.0.1:0", upstream: echoUp }) });
  const miss = await fetch(`${api}/proxies/nope`);
  say("errors", { conflict: [dup.status, await dup.json()], missing: [miss.status, await miss.json()] });

  // left for the AMQP part: the amqp proxy slowed, echo disabled; reset
  // (a second run) must undo both
  const amqp = await tp.get("amqp");
  await amqp.addToxic({ name: "slow", type: "latency", stream: "downstream", attributes: { latency: 30 } });
  await echo.update({ ...echo.toJson(), enabled: false });
  say("left", { amqp_listen: amqp.listen, echo_listen: echo.listen });
}

main().catch((e) => { say("error", { message: String(e && e.stack || e) }); process.exit(1); });

"""TLS end to end against a real node: `broker start --tls` makes a
throwaway CA and a TLS listener; bench connects with amqps:// and its own
writes go through the TLS session (rabbitmq-c reads through it)."""
import json
import subprocess

import pytest

from conftest import Node, run_loadgen


@pytest.fixture(scope="module")
def tls_node(tmp_path_factory):
    node = Node(tmp_path_factory.mktemp("tls") / "node", "--tls")
    yield node
    node.close()


def bench(*args, timeout=120):
    return run_loadgen("bench", "--quiet", "--no-report", *args, timeout=timeout)


def test_broker_start_tls_prints_amqps_and_keeps_keys_private(tls_node):
    assert tls_node.uri.startswith("amqps://guest:guest@127.0.0.1:")
    tls = tls_node.dir / "tls"
    for name in ("ca.pem", "server.pem", "client.pem"):
        assert (tls / name).read_text().startswith("-----BEGIN CERTIFICATE-----")
    for name in ("server.key", "client.key"):
        assert (tls / name).stat().st_mode & 0o077 == 0
    assert not (tls / "ca.key").exists()  # the CA signs once and is forgotten


def test_bench_over_tls_with_the_ca(tls_node, tmp_path):
    out = tmp_path / "r.json"
    r = bench("--uri", tls_node.uri, "--cacert", tls_node.dir / "tls" / "ca.pem", "--messages", "5000",
              "--producers", "2", "--consumers", "2", "--json", out)
    assert r.returncode == 0, r.stderr
    j = json.loads(out.read_text())
    t = j["totals"]
    assert t["published"] == t["confirmed"] == t["consumed"] == t["unique"] == 5000
    assert t["lost"] == 0 and sum(j["errors"].values()) == 0
    assert j["config"]["tls"] is True and j["config"]["tls_verify"] == "peer"
    assert "guest:guest" not in json.dumps(j)


def test_client_certificate_is_accepted(tls_node):
    tls = tls_node.dir / "tls"
    r = bench("--uri", tls_node.uri, "--cacert", tls / "ca.pem", "--cert", tls / "client.pem",
              "--key", tls / "client.key", "--messages", "500")
    assert r.returncode == 0, r.stderr


def test_a_client_certificate_is_sent_and_checked(tls_node, tmp_path):
    """The node checks a certificate the client presents (verify_peer) and
    does not require one: a certificate its CA did not sign is refused.
    So --cert and --key really go on the wire: ignored, the handshake would
    pass with no certificate at all (issue 27: exit 0 alone proved nothing)."""
    key, crt = tmp_path / "rogue.key", tmp_path / "rogue.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt,
                    "-days", "1", "-subj", "/CN=rogue"], check=True, capture_output=True)
    r = bench("--uri", tls_node.uri, "--cacert", tls_node.dir / "tls" / "ca.pem", "--cert", crt, "--key", key,
              "--messages", "10", "--connect-timeout", "3s")
    assert r.returncode == 3, r.stderr
    assert "guest:guest" not in r.stderr


@pytest.mark.parametrize("ca", ["system", "client.pem"])
def test_an_untrusted_certificate_fails_clearly(tls_node, ca):
    """No --cacert (the system's CAs) or a certificate that is not the CA:
    exit 3, naming the URI without its password and what to do."""
    args = [] if ca == "system" else ["--cacert", tls_node.dir / "tls" / ca]
    r = bench("--uri", tls_node.uri, *args, "--messages", "10", "--connect-timeout", "3s")
    assert r.returncode == 3, r.stderr
    port = tls_node.uri.rsplit(":", 1)[1].split("/")[0]
    assert f"amqps://guest@127.0.0.1:{port}" in r.stderr and "guest:guest" not in r.stderr
    assert "not trusted" in r.stderr and "--cacert" in r.stderr


def test_verify_none_skips_the_check(tls_node):
    r = bench("--uri", tls_node.uri, "--verify", "none", "--messages", "200")
    assert r.returncode == 0, r.stderr


def test_plain_amqp_to_the_tls_port_and_tls_to_the_plain_port_fail(tls_node):
    port = tls_node.uri.rsplit(":", 1)[1].split("/")[0]
    r = bench("--uri", f"amqp://guest:guest@127.0.0.1:{port}/%2f", "--messages", "10", "--connect-timeout", "3s")
    assert r.returncode == 3, r.stderr
    plain = json.loads((tls_node.dir / "broker.json").read_text())["uri"]
    r = bench("--uri", plain.replace("amqp://", "amqps://"), "--verify", "none", "--messages", "10",
              "--connect-timeout", "3s")
    assert r.returncode == 3 and "TLS handshake failed" in r.stderr, r.stderr


@pytest.mark.parametrize("args,needle", [
    (["--uri", "amqp://guest:guest@127.0.0.1:5672/", "--cacert", "/etc/hostname"], "amqps://"),
    (["--uri", "amqps://guest:guest@127.0.0.1:5671/", "--cert", "/etc/hostname"], "--cert and --key"),
    (["--uri", "amqps://guest:guest@127.0.0.1:5671/", "--cacert", "/nonexistent/ca.pem"], "--cacert"),
    (["--uri", "amqps://guest:guest@127.0.0.1:5671/", "--verify", "maybe"], "--verify"),
    (["--uri", "amqps://guest:guest@127.0.0.1:5671/", "--tls"], "--tls"),
])
def test_bad_tls_options_exit_2(args, needle):
    r = bench(*args)
    assert r.returncode == 2, r.stderr
    assert needle in r.stderr


def test_embedded_node_with_tls(tmp_path):
    """bench --tls: the embedded node listens for TLS and the clients use it."""
    out = tmp_path / "r.json"
    r = bench("--tls", "--messages", "2000", "--json", out, timeout=180)
    assert r.returncode == 0, r.stderr
    j = json.loads(out.read_text())
    assert j["config"]["tls"] is True and j["totals"]["consumed"] == 2000
    assert "against amqps://" in r.stderr

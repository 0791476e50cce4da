"""The official OpenAI Python SDK against a live `errand serve`.

Starts the server on a free port over a scratch copy of the built index,
makes a fixture customer, and uses `openai.OpenAI` as any OpenAI-compatible
front end would: lists models, sends a chat turn, continues the same session,
streams one, and checks that bad input gets OpenAI's error shape. Exits
non-zero on the first failure.

    tests/openai/.venv/bin/python tests/openai/run.py   (after `make index`)
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import openai

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("ERRAND_BIN") or os.path.join(
    os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "errand"
)


def start_server():
    data = tempfile.mkdtemp(prefix="errand-openai-")
    shutil.copytree(os.path.join(ROOT, "data", "index"), os.path.join(data, "index"))
    env = dict(os.environ, ERRAND_LOG="warn,qdrant_edge=error")
    child = subprocess.Popen(
        [BIN, "serve", "--addr", "127.0.0.1:0", "--data", data, "--test-helpers", "true"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    base = child.stdout.readline().replace("errand listening on ", "").strip()
    for _ in range(600):
        try:
            with urllib.request.urlopen(base + "/readyz") as r:
                if r.status == 200:
                    return base, child, data
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the server did not become ready in 120 s")


def fixture(base):
    req = urllib.request.Request(
        base + "/v1/test_helpers/fixtures",
        data=b"{}",
        headers={"content-type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req) as r:
        return json.load(r)


def check(cond, message):
    if not cond:
        raise AssertionError(message)


def scenarios(base, token, agent_token):
    client = openai.OpenAI(base_url=base + "/v1", api_key=token, max_retries=0)

    models = client.models.list()
    check([m.id for m in models.data] == ["errand"], f"models: {models}")

    # A clear request acts: the latte goes in the cart, and the session
    # comes back in the extension field and a header.
    raw = client.chat.completions.with_raw_response.create(
        model="errand",
        messages=[{"role": "user", "content": "one chai latte please"}],
    )
    first = raw.parse()
    session = raw.headers["x-errand-session"]
    reply = first.choices[0].message.content
    ext = first.model_extra["errand"]
    check(first.object == "chat.completion", f"object: {first.object}")
    check(first.choices[0].finish_reason == "stop", "finish_reason")
    check("Chai Latte" in reply, f"reply: {reply}")
    check(ext["session_id"] == session, f"session: {ext['session_id']} vs {session}")
    check(
        any(l["title"].startswith("Chai Latte") for g in ext["cart"]["groups"] for l in g["items"]),
        f"cart: {ext['cart']}",
    )

    # The same session, named by `user`: the cart holds what the first turn added.
    second = client.chat.completions.create(
        model="errand",
        user=session,
        messages=[
            {"role": "user", "content": "one chai latte please"},
            {"role": "assistant", "content": reply},
            {"role": "user", "content": [{"type": "text", "text": "what's in my cart?"}]},
        ],
    )
    check(second.model_extra["errand"]["session_id"] == session, "same session")
    check("Chai Latte" in second.choices[0].message.content, second.choices[0].message.content)

    # Streaming: standard chunks whose deltas add up to the reply.
    parts, last = [], None
    for chunk in client.chat.completions.create(
        model="errand",
        stream=True,
        extra_headers={"x-errand-session": session},
        messages=[{"role": "user", "content": "how long from the airport to Central Mall?"}],
    ):
        check(chunk.object == "chat.completion.chunk", f"chunk: {chunk}")
        parts.append(chunk.choices[0].delta.content or "")
        last = chunk
    streamed = "".join(parts)
    check("Central Mall" in streamed, f"streamed: {streamed}")
    check(last.choices[0].finish_reason == "stop", "last chunk")
    check(last.model_extra["errand"]["intent"] == "ride_quote", f"{last.model_extra}")

    # A write needs the customer's yes, whoever asks: "checkout" proposes.
    proposal = client.chat.completions.create(
        model="errand", user=session, messages=[{"role": "user", "content": "checkout"}]
    )
    calls = [c["name"] for c in proposal.model_extra["errand"]["tool_calls"]]
    check("checkout" not in calls, f"checkout ran without a yes: {calls}")

    # Bad input: OpenAI's error shape and status, read by the SDK as its own.
    def fails(status, call):
        try:
            call()
        except openai.APIStatusError as e:
            check(e.status_code == status, f"status {e.status_code}, wanted {status}")
            body = e.body or {}
            check({"message", "type", "code"} <= set(body), f"error body: {body}")
            return
        raise AssertionError(f"expected HTTP {status}")

    fails(404, lambda: client.chat.completions.create(
        model="gpt-5", messages=[{"role": "user", "content": "hi"}]))
    fails(400, lambda: client.chat.completions.create(model="errand", messages=[]))
    fails(400, lambda: client.chat.completions.create(
        model="errand", messages=[{"role": "assistant", "content": "hi"}]))
    # Someone else's session looks exactly like a missing one.
    other = openai.OpenAI(base_url=base + "/v1", api_key=fixture(base)["customer_token"], max_retries=0)
    fails(404, lambda: other.chat.completions.create(
        model="errand", user=session, messages=[{"role": "user", "content": "what's in my cart?"}]))
    fails(401, lambda: openai.OpenAI(base_url=base + "/v1", api_key="nope", max_retries=0)
          .chat.completions.create(model="errand", messages=[{"role": "user", "content": "hi"}]))
    # Care agents act through assist mode, not as a customer's model.
    fails(403, lambda: openai.OpenAI(base_url=base + "/v1", api_key=agent_token, max_retries=0)
          .chat.completions.create(model="errand", messages=[{"role": "user", "content": "hi"}]))


def main():
    base, child, data = start_server()
    try:
        f = fixture(base)
        scenarios(base, f["customer_token"], f["agent_token"])
        print("openai client: all scenarios passed")
    finally:
        child.terminate()
        child.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print(f"openai client: FAILED: {e}", file=sys.stderr)
        sys.exit(1)

"""Drive the emulator with another client (run inside that client's own environment).

Used by scripts/check-official-client: run hello-world (no stream URL: 1.x waits without
one), stream the language model, find its iterator output through ``models.get(...)
.latest_version`` and stream and run it by ``owner/name:version`` as against the real API,
paginate predictions and upload a file, against the base URL given (without /v1, as 1.x
expects).
"""

import io
import sys

import replicate
from replicate.pagination import paginate

base_url, token = sys.argv[1], sys.argv[2]
client = replicate.Client(api_token=token, base_url=base_url)

output = client.run("replicate/hello-world", input={"text": "world"})
assert output == "hello world", output
print(f"run hello-world: {output!r}")
polled = client.run("replicate/hello-world", input={"text": "poll"}, wait=False)
assert polled == "hello poll", polled  # created starting, then polled: it has no stream URL
print(f"run hello-world without waiting: {polled!r}")

text = "".join(
    str(event)
    for event in client.stream("replicate/language-model", input={"prompt": "hi", "max_tokens": 6})
)
assert text.startswith("hi "), text
print(f"stream language-model: {text!r}")

model = client.models.get("replicate/language-model")
version = model.latest_version
assert version is not None, "an official model has a latest version"
schema = version.openapi_schema["components"]["schemas"]["Output"]
assert schema.get("x-cog-array-type") == "iterator", schema
assert schema.get("x-cog-array-display") == "concatenate", schema
ref = f"replicate/language-model:{version.id}"
streamed = "".join(
    str(event) for event in client.stream(ref, input={"prompt": "hi", "max_tokens": 6})
)
assert streamed == text, (streamed, text)
tokens = client.run(ref, input={"prompt": "hi", "max_tokens": 6})
assert not isinstance(tokens, (str, list)), "1.x gives an iterator for an iterator output"
assert "".join(tokens) == text
print(f"stream and run {ref[:32]}...: {streamed!r}, iterator output")

count = sum(len(page.results) for page in paginate(client.predictions.list))
assert count >= 2, count
print(f"paginate predictions: {count} predictions")

uploaded = client.files.create(
    io.BytesIO(b"hello file"), filename="hello.txt", content_type="text/plain"
)
assert uploaded.size == 10, uploaded
print(f"upload a file: {uploaded.id} ({uploaded.size} bytes, {uploaded.content_type})")
print("all checks passed")

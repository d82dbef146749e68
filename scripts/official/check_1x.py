"""Drive the emulator with another client (run inside that client's own environment).

Used by scripts/check-official-client: run hello-world, stream the language model, paginate
predictions and upload a file, against the base URL given (without /v1, as 1.x expects).
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

text = "".join(
    str(event)
    for event in client.stream("replicate/language-model", input={"prompt": "hi", "max_tokens": 6})
)
assert text.startswith("hi "), text
print(f"stream language-model: {text!r}")

count = sum(len(page.results) for page in paginate(client.predictions.list))
assert count >= 2, count
print(f"paginate predictions: {count} predictions")

uploaded = client.files.create(
    io.BytesIO(b"hello file"), filename="hello.txt", content_type="text/plain"
)
assert uploaded.size == 10, uploaded
print(f"upload a file: {uploaded.id} ({uploaded.size} bytes, {uploaded.content_type})")
print("all checks passed")

"""The yardstick: a bare Flask hello-world, served by gunicorn exactly as the app is.

gunicorn bench.hello_app:app
"""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "Hello, World!"

"""Baseline for bench/http_bench.py: the smallest Flask app under the same gunicorn settings."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "hello"

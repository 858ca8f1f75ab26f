"""The framework's floor: the barest Flask app, served by the same gunicorn as the service
(``bench/run.py`` starts it as ``gunicorn bare:app`` in this folder)."""
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "hello"

"""The bare endpoint: a Flask app that answers every webhook with one fixed TwiML document.

    python -m bench.bare --port P [--workers 2] [--threads 8]

Served by the same gunicorn set-up as `hotline serve` (hotline.server), so the
difference between the two is the work Hotline does per request. The document
is about the size of Hotline's menu: a <Gather> with a prompt, then a
<Redirect> for silence. Nothing is checked, parsed or stored.
"""

from __future__ import annotations

import argparse

from flask import Flask, Response

from db.engine import make_engine
from hotline.server import run_gunicorn

TWIML = (
    '<?xml version="1.0" encoding="UTF-8"?><Response>'
    '<Gather action="/twilio/step" method="POST" numDigits="1" timeout="6">'
    '<Say language="cmn-CN" voice="Google.cmn-CN-Standard-A">'
    "您好，这里是广东省委第十三巡视组。反映政治纪律问题请按1，组织纪律请按2，廉洁纪律请按3，"
    "群众纪律请按4，工作纪律请按5，生活纪律请按6。不在以上范围请按9。重听请按星号键。</Say>"
    "</Gather><Redirect>/twilio/step</Redirect></Response>"
)


def make_app() -> Flask:
    app = Flask("bare")

    @app.post("/twilio/<path:_step>")
    def webhook(_step: str) -> Response:
        return Response(TWIML, mimetype="application/xml")

    @app.get("/healthz")
    def health() -> str:
        return "ok"

    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args(argv)
    # run_gunicorn disposes an engine's connections after each fork; the bare app has none.
    run_gunicorn(make_app(), make_engine("sqlite://"), bind=f"{args.host}:{args.port}",
                 workers=args.workers, threads=args.threads)


if __name__ == "__main__":
    main()

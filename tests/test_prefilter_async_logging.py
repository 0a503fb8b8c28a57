"""The prefilters (``applies_to``) of the async (FAPI1xx) and logging (FAPI6xx) rules.

Every text a prefilter must let through is also linted: the rule reports on it, so the
case is one the prefilter must not drop (and a prefilter that drops it fails the lint too).
Every text it must reject is one the rule does not report on.
"""
from __future__ import annotations

import os
import textwrap
from typing import Any, Dict

import pytest

from fastapi_lint import prefilter
from fastapi_lint.config import Config
from fastapi_lint.registry import all_rules
from fastapi_lint.runner import run_paths
from tests.helpers import found, lint_text, rules_for

LOGGER = "import logging\nlogger = logging.getLogger()\n"

ACCEPTED = [
    # FAPI101: through aliases, and an `async def` spelled with odd blanks
    ("FAPI101", "import time\nasync def f():\n    time.sleep(1)\n"),
    ("FAPI101", "from time import sleep as nap\nasync  def f():\n    nap(1)\n"),
    ("FAPI101", "async def f():\n    import time as t\n    t . sleep(1)\n"),
    # FAPI102: the module functions, a client under an alias, urlopen renamed
    ("FAPI102", "import requests\nasync def f(url):\n    return requests.get(url, timeout=5)\n"),
    ("FAPI102", "from httpx import Client as C\nasync def f(url):\n    with C() as c:\n        c.post(url)\n"),
    ("FAPI102", "from urllib.request import urlopen as fetch\nasync def f(url):\n    fetch(url)\n"),
    # FAPI103
    ("FAPI103", "from subprocess import check_output as co\nasync def f():\n    co(['ls'])\n"),
    ("FAPI103", "import os\nasync def f():\n    os.system('ls')\n"),
    ("FAPI103", "import subprocess as sp\nasync def f():\n    p = sp.Popen(['ls'])\n    p.wait()\n"),
    # FAPI104: the builtin needs no import; Path methods; shutil renamed
    ("FAPI104", "async def f():\n    with open('x') as fh:\n        return fh.read()\n"),
    ("FAPI104", "from pathlib import Path\nasync def f():\n    return Path('x').read_text()\n"),
    ("FAPI104", "import shutil as sh\nasync def f():\n    sh.rmtree('x')\n"),
    # FAPI105
    ("FAPI105", "from sqlalchemy.orm import Session\nasync def f(db: Session):\n    return db.query(1).all()\n"),
    # FAPI110
    ("FAPI110", "from fastapi import APIRouter\nrouter = APIRouter()\n"
                "@router.get('/')\nasync def f():\n    return 1\n"),
    # FAPI111: in sync code too, and the module's own coroutines
    ("FAPI111", "import asyncio\ndef f():\n    asyncio.sleep(1)\n"),
    ("FAPI111", "from sqlalchemy.ext.asyncio import AsyncSession\ndef f(db: AsyncSession):\n    db.commit()\n"),
    ("FAPI111", "async def save():\n    return 1\nasync def main():\n    save()\n"),
    ("FAPI111", "class A:\n    async def save(self):\n        return 1\n"
                "    async def run(self):\n        self.save()\n"),
    # FAPI112: outside async code
    ("FAPI112", "import requests\nrequests.get('https://x')\n"),
    ("FAPI112", "from httpx import AsyncClient as AC\nclient = AC()\n"),
    ("FAPI112", "from requests import Session\ns = Session()\ns.post('https://x')\n"),
    ("FAPI112", "import urllib.request\nurllib.request.urlopen('https://x')\n"),
    # FAPI113
    ("FAPI113", "async def f(a, b):\n    x = await a()\n    y = await b()\n    return x, y\n"),
    # FAPI114: in a function, and a module-level `await` (libcst parses it)
    ("FAPI114", "from sqlalchemy.ext.asyncio import AsyncSession\n"
                "async def f(db: AsyncSession, ids):\n    for i in ids:\n        await db.get(int, i)\n"),
    ("FAPI114", "from sqlalchemy.ext.asyncio import AsyncSession\ndb: AsyncSession = make()\n"
                "for q in queries:\n    await db.execute(q)\n"),
    # FAPI601: an upper-case logger name, camelCase and squashed words, print, request parts
    ("FAPI601", "from app.core import LOG\ndef f(token):\n    LOG.info(token)\n"),
    ("FAPI601", LOGGER + "def f(user):\n    logger.info('k %s', user.apiKey)\n"),
    ("FAPI601", LOGGER + "def f(d):\n    logger.info('k %s', d['APIKEY'])\n"),
    ("FAPI601", "from app import MyLogger\ndef f(token):\n    MyLogger.info(token)\n"),
    ("FAPI601", "class A:\n    def f(self, password):\n        self.__log.warning(password)\n"),
    ("FAPI601", "def f(user):\n    print(user.email)\n"),
    ("FAPI601", LOGGER + "async def f(request):\n"
                "    logger.debug('%s', request.headers)\n"),
    # FAPI602
    ("FAPI602", LOGGER + "def f(y):\n    logger.info(F'x {y}')\n"),
    ("FAPI602", LOGGER + "def f(y):\n    logger.info('x %s' % y)\n"),
    ("FAPI602", LOGGER + "def f(y):\n    logger.info(('x {}')\n        .format(y))\n"),
    # FAPI603: odd spacing
    ("FAPI603", LOGGER + "try:\n    f()\nexcept ValueError:\n"
                "    logger . error ('failed')\n"),
]

REJECTED = [
    # no `async def`: no async context
    ("FAPI101", "import time\ndef f():\n    time.sleep(1)\n"),
    ("FAPI103", "import subprocess\ndef f():\n    subprocess.run(['ls'])\n"),
    ("FAPI105", "from sqlalchemy.orm import Session\ndef f(db: Session):\n    return db.query(1).all()\n"),
    ("FAPI106", "def helper():\n    return open('x').read()\n"),
    ("FAPI113", "def f(a):\n    return a()\n"),
    # the async spelling of the same thing
    ("FAPI101", "import asyncio\nasync def f():\n    await asyncio.sleep(1)\n"),
    ("FAPI103", "import asyncio\nasync def f():\n"
                "    p = await asyncio.create_subprocess_exec('ls')\n    await p.wait()\n"),
    ("FAPI104", "import json\nasync def f(data):\n    return json.dumps(data)\n"),
    ("FAPI102", "async def app(scope, receive):\n    message = await receive()\n    return message['type']\n"),
    # an async function that is not a route, one await, an untyped session
    ("FAPI110", "async def dependency():\n    return 1\n"),
    ("FAPI113", "async def f(a):\n    return await a()\n"),
    ("FAPI114", "async def f(db, ids):\n    for i in ids:\n        await db.execute(i)\n"),
    ("FAPI111", "import asyncio\nasync def main(a, b):\n    await asyncio.gather(a(), b())\n"),
    # a project's own `get` imported relatively is not `requests.get`; no HTTP library at all
    ("FAPI112", "from .service import get, delete\ndef route():\n    return get()\n"),
    ("FAPI112", "def f(session, url):\n    return session.get(url)\n"),
    # lazy, harmless, or not the standard library's logger
    ("FAPI601", LOGGER + "def f(name):\n    logger.info('hi %s', name)\n"),
    ("FAPI601", "def f(password):\n    return password\n"),
    ("FAPI601", "def f(catalog, token):\n    return catalog.info(token)\n"),
    ("FAPI602", LOGGER + "def f(n):\n    logger.info('started', extra={'n': n})\n"),
    ("FAPI603", LOGGER + "def f():\n    logger.error('failed')\n"),
    ("FAPI603", "import structlog\nlog = structlog.get_logger()\n"
                "try:\n    f()\nexcept ValueError:\n    log.error('x')\n"),
]


def _applies(code: str, text: str, options: Dict[str, Any] = None) -> bool:
    rule = all_rules()[code]
    merged = dict(rule.option_defaults())
    merged.update(options or {})
    return rule.applies_to(text, merged)


@pytest.mark.parametrize("code, text", ACCEPTED)
def test_accepted_texts_are_reported(code: str, text: str) -> None:
    assert _applies(code, text)
    assert found(lint_text(text, [code]), code), "the rule does not report this text: not a real case"


@pytest.mark.parametrize("code, text", REJECTED)
def test_rejected_texts_are_not_reported(code: str, text: str) -> None:
    assert not found(lint_text(text, [code]), code)
    assert not _applies(code, text)


def test_secret_in_log_honours_extra_words() -> None:
    text = LOGGER + "def f(otp_code):\n    logger.info('%s', otp_code)\n"
    assert not _applies("FAPI601", text)
    assert _applies("FAPI601", text, {"extra-secret-words": ["OTP"]})
    assert _applies("FAPI601", text.replace("otp_code", "iban"), {"extra-pii-words": ["iban"]})
    options = (("FAPI601", (("extra-secret-words", ("otp",)),)),)
    assert found(lint_text(text, ["FAPI601"], options=options), "FAPI601")


def _write(root, files: Dict[str, str]) -> None:
    for name, source in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source), encoding="utf-8")


@pytest.mark.parametrize("code, files", [
    # a client or session another module creates, imported under a name that says nothing
    ("FAPI102", {"app/clients.py": "import httpx\nc = httpx.Client()\n",
                 "app/main.py": "from app.clients import c\nasync def f(url):\n    c.get(url)\n"}),
    ("FAPI105", {"app/cache.py": "import redis\nr = redis.Redis()\n",
                 "app/main.py": "from app.cache import r\nasync def f():\n    r.hset('k', 'v', 1)\n"}),
    ("FAPI106", {"app/files.py": "def load(name):\n    with open(name) as fh:\n        return fh.read()\n",
                 "app/main.py": "from app.files import load\nasync def f(name):\n    return load(name)\n"}),
])
def test_project_wide_cases_pass_the_prefilter(tmp_path, code: str, files: Dict[str, str]) -> None:
    _write(tmp_path, files)
    config = Config(root=str(tmp_path), preview=True, select=(code,))
    runs = [run_paths([str(tmp_path)], config, rules_for((code,)), prefilter=on) for on in (True, False)]
    findings = [sorted((os.path.basename(f.path), f.line, f.code) for f in run.findings) for run in runs]
    assert findings[0] == findings[1]
    assert ("main.py", 3, code) in findings[0]


# -- the helpers -----------------------------------------------------------------------------
def test_any_word_needs_whole_words() -> None:
    has_get = prefilter.any_word(["get", "send"])
    assert has_get("x.get(1)") and has_get("get") and has_get("await send(m)")
    assert not has_get("target = budget_get + gets + forget()")


def test_any_attribute_reads_through_blanks_and_comments() -> None:
    info = prefilter.any_attribute(["info"])
    assert info("logger.info(x)") and info("(logger .  # why\n  info)(x)") and info("logger.\\\ninfo")
    assert not info("logger.information(x)") and not info("info(x)")


def test_relative_imports_are_read_without_the_package() -> None:
    text = "from .api import get as g\nfrom . import (a,  # (b)\n    b)\nfrom ..x.y import *\nfrom os import path\n"
    assert prefilter.relative_imports(text) == [("api", "get"), ("a",), ("b",)]


def test_resolvable_follows_imports_relative_imports_and_instances() -> None:
    get = prefilter.resolvable(["requests.api.get", "requests.Session().post"])
    assert get("import requests\nrequests.api.get(u)")
    assert get("from requests.api import get as g\ng(u)")
    assert get("from .api import get\nget(u)")  # inside the requests package
    assert get("from requests import Session\nSession().post(u)")
    assert not get("from .service import get\nget(u)")  # `<package>.service.get`
    assert not get("import requests\nrequests.post(u)")  # a Session's post needs `Session`
    assert not get("get(u)")


def test_says_any_reads_names_like_words_says() -> None:
    words = ("password", "api_key")
    for text in ("PASSWORD = 1", "userPassword", "api-key", "ApiKey", "ap_ikey"):
        assert prefilter.says_any(text, words), text
    assert not prefilter.says_any("passwd = apikeys_", ("password", "api_keys_x"))

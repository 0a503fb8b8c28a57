"""A hypothesis strategy for FastAPI-shaped programs built from the rules' vocabularies.

Random text rarely reaches the rules; these programs do: routes on apps and routers,
dependencies, async and sync bodies with blocking calls, sessions, logging, SQL, secrets,
CORS, loops and exception handlers, in random combinations and nestings.
"""
from __future__ import annotations

from hypothesis import strategies as st

IMPORTS = """\
import asyncio
import hashlib
import logging
import os
import pickle
import subprocess
import time
from typing import Any, Dict, List, Optional

import httpx
import jwt
import requests
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request, UploadFile
from fastapi.middleware.cors import CORSMiddleware
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

logger = logging.getLogger(__name__)
app = FastAPI()
router = APIRouter(prefix="/r")
CACHE: Dict[str, Any] = {}
"""

NAMES = st.sampled_from(["item_id", "user_id", "password", "token", "email", "name", "path", "q", "db", "x"])
METHODS = st.sampled_from(["get", "post", "put", "patch", "delete", "websocket", "api_route"])
PATHS = st.sampled_from(["/", "/items", "/items/{item_id}", "/users/{user_id}/files/{path:path}", "/login", "/token"])
ANNOTATIONS = st.sampled_from(["", ": int", ": str", ": dict", ": Dict[str, Any]", ": Session", ": AsyncSession",
                               ": UploadFile", ": Request", ": Optional[str]", ": Any"])
DEFAULTS = st.sampled_from(["", " = None", " = Depends(get_db)", " = Query(10)", " = Depends()", ' = "x"'])

STATEMENTS = st.sampled_from([
    "time.sleep(1)",
    "requests.get('https://example.com')",
    "requests.post(url, timeout=5)",
    "httpx.get('https://example.com')",
    "subprocess.run(cmd, shell=True)",
    "os.system(f'rm {name}')",
    "open(path).read()",
    "db.query(User).all()",
    "db.execute(text(f'SELECT * FROM t WHERE id = {item_id}'))",
    "await db.execute(text('SELECT 1'))",
    "await db.commit()",
    "db.commit()",
    "await asyncio.sleep(0)",
    "asyncio.sleep(1)",
    "await helper()",
    "helper_sync()",
    "logger.info(f'user {email} logged in with {password}')",
    "logger.error('failed')",
    "print(token)",
    "CACHE[name] = 1",
    "CACHE.update({})",
    "pickle.loads(data)",
    "hashlib.md5(password.encode())",
    "jwt.decode(token, key)",
    "api_key = 'sk-live-123456789012345678901234'",
    "secret = os.environ['SECRET']",
    "raise HTTPException(status_code=404, detail=str(exc))",
    "return {'ok': True}",
    "return None",
    "pass",
    "x = [await db.get(User, i) for i in ids]",
    "client = httpx.AsyncClient()",
    "await client.get('https://example.com')",
    "yield db",
    "del CACHE[name]",
    "lambda: time.sleep(1)",
])


@st.composite
def blocks(draw, depth: int = 0):
    """A list of statement lines, possibly with nested compound statements."""
    lines = []
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(st.integers(0, 9)) if depth < 2 else 0
        if kind <= 5:
            lines.append(draw(STATEMENTS))
        elif kind == 6:
            lines.append("for i in ids:")
            lines.extend("    " + l for l in draw(blocks(depth + 1)))
        elif kind == 7:
            lines.append("try:")
            lines.extend("    " + l for l in draw(blocks(depth + 1)))
            lines.append("except Exception as exc:")
            lines.extend("    " + l for l in draw(blocks(depth + 1)))
        elif kind == 8:
            asyncness = draw(st.sampled_from(["", "async "]))
            lines.append(f"{asyncness}def inner():")
            lines.extend("    " + l for l in draw(blocks(depth + 1)))
        else:
            lines.append("with lock:")
            lines.extend("    " + l for l in draw(blocks(depth + 1)))
    return lines


@st.composite
def functions(draw):
    receiver = draw(st.sampled_from(["app", "router", "other"]))
    method = draw(METHODS)
    path = draw(PATHS)
    kwargs = draw(st.sampled_from(["", ", status_code=201", ", response_model=Item", ", response_model=None",
                                   ", methods=['GET', 'POST']"]))
    decorator = draw(st.sampled_from([f"@{receiver}.{method}('{path}'{kwargs})", "", "@limiter.limit('5/minute')"]))
    asyncness = draw(st.sampled_from(["", "async "]))
    params = []
    for _ in range(draw(st.integers(0, 3))):
        params.append(draw(NAMES) + draw(ANNOTATIONS) + draw(DEFAULTS))
    seen, unique = set(), []
    for param in params:
        name = param.split(":")[0].split("=")[0].strip()
        if name not in seen:
            seen.add(name)
            unique.append(param)
    # parameters without defaults first, as Python requires
    unique.sort(key=lambda p: "=" in p)
    body = draw(blocks())
    if not asyncness:
        body = [l for l in body if "await " not in l] or ["pass"]
    name = draw(st.sampled_from(["create_item", "read_item", "login", "delete_user", "helper", "get_db", "handler"]))
    header = f"{asyncness}def {name}({', '.join(unique)}) -> Any:" if draw(st.booleans()) else \
        f"{asyncness}def {name}({', '.join(unique)}):"
    lines = ([decorator] if decorator else []) + [header] + ["    " + l for l in body]
    return "\n".join(lines)


@st.composite
def fastapi_programs(draw):
    parts = [IMPORTS]
    if draw(st.booleans()):
        origins = draw(st.sampled_from(['["*"]', '["https://a.example"]', "ORIGINS"]))
        creds = draw(st.sampled_from(["True", "False"]))
        parts.append(f"app.add_middleware(CORSMiddleware, allow_origins={origins}, allow_credentials={creds})")
    if draw(st.booleans()):
        parts.append("class Item(BaseModel):\n    name: str\n    password: str\n\n    class Config:\n        orm_mode = True")
    for _ in range(draw(st.integers(1, 4))):
        parts.append(draw(functions()))
    return "\n\n\n".join(parts) + "\n"

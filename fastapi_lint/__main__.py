from fastapi_lint.cli import entry

entry()

from __future__ import annotations

from typing import Optional

import libcst as cst

from fastapi_lint.names import argument
from fastapi_lint.prefilter import resolvable
from fastapi_lint.rule import Default, Rule, Severity

# resolved name -> what to say about it
_UNSAFE = {
    **{f"{mod}.{fn}": f"`{mod}.{fn}()`" for mod in ("pickle", "cPickle", "_pickle", "dill", "cloudpickle")
       for fn in ("load", "loads", "Unpickler")},
    **{f"marshal.{fn}": f"`marshal.{fn}()`" for fn in ("load", "loads")},
    "shelve.open": "`shelve.open()` (pickle underneath)",
    "shelve.DbfilenameShelf": "`shelve.DbfilenameShelf` (pickle underneath)",
    "yaml.unsafe_load": "`yaml.unsafe_load()`",
    "yaml.unsafe_load_all": "`yaml.unsafe_load_all()`",
    "jsonpickle.decode": "`jsonpickle.decode()`",
    "jsonpickle.loads": "`jsonpickle.loads()`",
}
_YAML_LOAD = {"yaml.load", "yaml.load_all"}
_REPORTED = resolvable((*_UNSAFE, *_YAML_LOAD))
# loaders that construct no arbitrary Python objects
_SAFE_LOADERS = {
    f"yaml{mid}.{loader}"
    for mid in ("", ".loader", ".cyaml")
    for loader in ("SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader")
}


class UnsafeDeserialization(Rule):
    """
    ## What it does
    Reports deserializers that can run arbitrary code while loading: `pickle.load(s)` (and
    `cPickle`, `dill`, `cloudpickle`, `Unpickler`), `marshal.load(s)`, `shelve.open`,
    `yaml.load`/`yaml.load_all` without a safe `Loader=`, `yaml.unsafe_load` and
    `jsonpickle.decode`, through any import alias.

    ## Why is this bad?
    A pickle (or a YAML document with Python tags, or a jsonpickle payload) is a program: loading
    one that an attacker can influence — a request body, an upload, a cache or queue entry —
    executes their code on the server (CWE-502).

    ## Example
    ```python
    import pickle

    @router.post("/import")
    async def import_data(request: Request) -> dict:
        data = pickle.loads(await request.body())
        return {"rows": len(data)}
    ```

    ## Use instead
    ```python
    import json

    @router.post("/import")
    async def import_data(payload: ImportPayload) -> dict:
        return {"rows": len(payload.rows)}
    ```
    For YAML, `yaml.safe_load(...)` or `yaml.load(..., Loader=yaml.SafeLoader)`.

    ## References
    - [Python docs: pickle — security warning](https://docs.python.org/3/library/pickle.html)
    - [CWE-502: Deserialization of Untrusted Data](https://cwe.mitre.org/data/definitions/502.html)
    """

    CODE = "FAPI306"
    NAME = "unsafe-deserialization"
    SEVERITY = Severity.ERROR
    DEFAULT = Default.ON
    TAGS = ("security",)
    CWE = 502
    SEEDS = ("000",)

    @classmethod
    def applies_to(cls, text, options) -> bool:
        return _REPORTED(text)

    def visit_Call(self, node: cst.Call) -> None:
        name = self.ctx.resolve(node.func)
        if name is None:
            return
        what = _UNSAFE.get(name)
        if what is None and name in _YAML_LOAD and not self._safe_yaml_loader(node):
            what = f"`{name}()` without a safe `Loader=`"
        if what is not None:
            self.report(node, f"{what} can execute arbitrary code while deserializing; "
                              "use JSON/pydantic (or `yaml.safe_load`) for data that crosses a trust boundary")

    def _safe_yaml_loader(self, node: cst.Call) -> bool:
        loader: Optional[cst.BaseExpression] = argument(node, 1, "Loader")
        return loader is not None and self.ctx.resolve(loader) in _SAFE_LOADERS

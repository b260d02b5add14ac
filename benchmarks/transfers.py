"""Export and import throughput and peak memory (spec 50, decision Q5).

``python -m benchmarks.transfers [--products 100,1000] [--engines sqlite,postgres]`` seeds N
products with 2 JPEG images each (640x480), exports them (request → ``completed``, the ZIP
streamed into storage), then imports the archive into another account. Each phase runs in
its own process so its peak RSS (``ru_maxrss``) is its own: seeding never counts toward the
export, nor the export toward the import. SQLite runs on local storage; PostgreSQL on S3
(a moto server on loopback), the production pair.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.databases import DatabaseUnavailable, fresh_database
from benchmarks.server_process import REPO_ROOT

PASSWORD = "correct horse battery"
POLL_S = 0.05


@dataclass(frozen=True, slots=True)
class PhaseResult:
    phase: str
    products: int
    elapsed_s: float
    peak_rss_mb: float
    archive_bytes: int = 0

    @property
    def per_second(self) -> float:
        return self.products / self.elapsed_s if self.elapsed_s > 0 else 0.0


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _user(core: Any, email: str) -> Any:
    issued = await core.register(email, PASSWORD)
    await core.confirm_email(email)
    return await core.authenticate(issued.token)


async def _seed(core: Any, count: int) -> None:
    from benchmarks.dataset import photo
    from reseller_core.domain.images import ImageKind, ImageStatus, ProductImage
    from reseller_core.domain.products import Product, ProductStatus

    owner = await _user(core, "owner@bench.example")
    await _user(core, "other@bench.example")
    deps = core.container.deps
    photos = [photo(n) for n in range(4)]
    now = deps.clock.now()
    for start in range(0, count, 100):
        async with deps.uow() as uow:
            for n in range(start, min(count, start + 100)):
                product = Product(
                    id=deps.ids.new_id(),
                    user_id=owner.id,
                    status=ProductStatus.READY,
                    title=f"Vintage denim jacket {n}",
                    sku=f"SKU-{n}",
                    tags=("denim", "vintage"),
                    created_at=now,
                    updated_at=now,
                )
                await uow.products.add(product)
                images = []
                for position in (1, 2):
                    key = f"users/{owner.id}/products/{product.id}/originals/{position}.jpg"
                    data = photos[(n + position) % len(photos)]
                    await deps.storage.put(key, data, content_type="image/jpeg")
                    images.append(
                        ProductImage(
                            id=deps.ids.new_id(),
                            product_id=product.id,
                            kind=ImageKind.ORIGINAL,
                            position=position,
                            storage_key=key,
                            content_type="image/jpeg",
                            byte_size=len(data),
                            processing_status=ImageStatus.READY,
                            original_filename=f"jacket-{position}.jpg",
                            created_at=now,
                            updated_at=now,
                        )
                    )
                await uow.images.add_many(images)
            await uow.commit()


async def _settled(read: Callable[[], Awaitable[Any]], status: Callable[[Any], str]) -> Any:
    """Poll ``read`` until the record leaves ``queued``/``running``."""
    value = await read()
    for _ in range(10**7):
        if status(value) not in ("queued", "running"):
            break
        await asyncio.sleep(POLL_S)
        value = await read()
    return value


async def _login(core: Any, email: str) -> Any:
    return await core.authenticate((await core.login(email, PASSWORD)).token)


async def _export(core: Any, count: int, archive_path: Path) -> PhaseResult:
    owner = await _login(core, "owner@bench.example")
    started = time.perf_counter()
    view = await core.request_export(owner)
    view = await _settled(lambda: core.export(owner, view.export.id), lambda v: v.export.status)
    elapsed = time.perf_counter() - started
    if view.export.status != "completed":
        raise RuntimeError(f"export {view.export.status}: {view.export.error_message}")
    size = 0
    with archive_path.open("wb") as out:
        async for chunk in core.read_export(view):
            out.write(chunk)
            size += len(chunk)
    return PhaseResult("export", count, elapsed, _peak_rss_mb(), size)


async def _import(core: Any, count: int, archive_path: Path) -> PhaseResult:
    other = await _login(core, "other@bench.example")
    archive = archive_path.read_bytes()
    started = time.perf_counter()
    record = await core.request_import(other, archive_path.name, archive)
    del archive
    record = await _settled(lambda: core.import_record(other, record.id), lambda r: r.status)
    elapsed = time.perf_counter() - started
    if record.status != "completed" or record.imported_products != count:
        raise RuntimeError(f"import {record.status}: {record.error_message} {record.failures[:3]}")
    return PhaseResult("import", count, elapsed, _peak_rss_mb(), archive_path.stat().st_size)


async def _child(args: argparse.Namespace) -> PhaseResult | None:
    from reseller_entrypoints.embedded import ResellerCore
    from reseller_entrypoints.settings import load_settings

    settings = load_settings(
        data_dir=args.data_dir,
        database_url=args.database_url,
        # A 1,000-product archive of 2 photos each is ~100 MB: the limits are raised so the
        # benchmark measures the work, not the refusal.
        transfers={
            "max_archive_bytes": 1_000_000_000,
            "max_entry_count": 10_000,
            "max_total_uncompressed_bytes": 2_000_000_000,
        },
    )
    async with await ResellerCore.open(settings=settings) as core:
        archive = Path(args.data_dir) / "export.zip"
        if args.phase == "seed":
            await _seed(core, args.products)
            return None
        if args.phase == "export":
            return await _export(core, args.products, archive)
        return await _import(core, args.products, archive)


def _run_phase(phase: str, url: str, data_dir: Path, products: int, env: dict[str, str]) -> Any:
    command = [
        sys.executable, "-m", "benchmarks.transfers", "--child", phase,
        "--database-url", url, "--data-dir", str(data_dir), "--products", str(products),
    ]  # fmt: skip
    done = subprocess.run(
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=3600, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{phase} failed:\n{done.stderr[-4000:]}")
    line = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "null"
    return json.loads(line)


@contextmanager
def _storage_env(engine: str, workdir: Path) -> Iterator[dict[str, str]]:
    path = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path, "RESELLER_LOG_LEVEL": "WARNING"}
    if engine == "sqlite":
        yield {**env, "RESELLER_STORAGE": "local"}
        return
    from tests.services import MotoServer

    moto = MotoServer(workdir).start()
    try:
        bucket = moto.create_bucket()
        yield {**env, **moto.env(bucket)}
    finally:
        moto.stop()


def measure(engines: Sequence[str], sizes: Sequence[int]) -> list[tuple[str, PhaseResult]]:
    results: list[tuple[str, PhaseResult]] = []
    for engine in engines:
        for size in sizes:
            with tempfile.TemporaryDirectory(prefix=f"bench-transfers-{engine}-") as tmp:
                workdir = Path(tmp)
                try:
                    database = fresh_database(engine, workdir)
                    url = database.__enter__()
                except DatabaseUnavailable as error:
                    print(f"{engine}: unavailable ({error})", file=sys.stderr)
                    break
                try:
                    with _storage_env(engine, workdir) as env:
                        for phase in ("seed", "export", "import"):
                            print(f"{engine} {size}: {phase}", file=sys.stderr)
                            data = _run_phase(phase, url, workdir, size, env)
                            if data is not None:
                                results.append((engine, PhaseResult(**data)))
                finally:
                    database.__exit__(None, None, None)
    return results


def render(results: Sequence[tuple[str, PhaseResult]]) -> str:
    lines = [
        "Exports and imports (N products x 2 photos; each phase in its own process)",
        "| engine + storage | phase | products | seconds | products/s | peak RSS | archive |",
        "|---|---|---|---|---|---|---|",
    ]
    names = {"sqlite": "SQLite + local", "postgres": "PostgreSQL + S3 (moto)"}
    for engine, result in results:
        lines.append(
            f"| {names.get(engine, engine)} | {result.phase} | {result.products} | "
            f"{result.elapsed_s:.1f} | {result.per_second:.1f} | {result.peak_rss_mb:.0f} MB | "
            f"{result.archive_bytes / 1e6:.1f} MB |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.transfers")
    parser.add_argument("--products", default="100,1000", help="comma-separated sizes")
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--child", choices=("seed", "export", "import"), help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        args.phase = args.child
        args.products = int(args.products)
        result = asyncio.run(_child(args))
        print(json.dumps(None if result is None else {
            "phase": result.phase, "products": result.products, "elapsed_s": result.elapsed_s,
            "peak_rss_mb": result.peak_rss_mb, "archive_bytes": result.archive_bytes,
        }))  # fmt: skip
        return 0
    sizes = [int(size) for size in args.products.split(",") if size.strip()]
    engines = [engine.strip() for engine in args.engines.split(",") if engine.strip()]
    print(render(measure(engines, sizes)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

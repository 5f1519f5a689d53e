#!/usr/bin/env python3
"""Generates the Python stubs of odoo-mesh's API from proto/ with grpcio-tools.

    python generate.py                 # into generated/ beside this file (git-ignored)
    python generate.py --out DIR       # anywhere else
    python generate.py --proto DIR     # from a copy of odoo-mesh's proto/ directory

The output is a package tree (odoomesh/inventory/v1/inventory_service_pb2.py, ..._pb2_grpc.py and
.pyi type stubs) to put on sys.path. The google.protobuf types come with the protobuf runtime and
the google.rpc status types with googleapis-common-protos, so neither is generated.
"""

import argparse
import importlib.resources
import pathlib
import sys

from grpc_tools import protoc

HERE = pathlib.Path(__file__).resolve().parent
DEFAULT_PROTO = HERE.parent.parent / "proto"


def generate(proto_root: pathlib.Path, out: pathlib.Path) -> list[pathlib.Path]:
    """Compiles every odoomesh .proto below proto_root into out; returns the protos compiled."""
    protos = sorted((proto_root / "odoomesh").rglob("*.proto"))
    if not protos:
        raise SystemExit(f"no odoomesh .proto files below {proto_root}")
    out.mkdir(parents=True, exist_ok=True)
    # grpcio-tools ships the well-known types (google/protobuf/timestamp.proto...) it was built with.
    well_known = importlib.resources.files("grpc_tools") / "_proto"
    args = [
        "grpc_tools.protoc",
        f"--proto_path={proto_root}",
        f"--proto_path={well_known}",
        f"--python_out={out}",
        f"--pyi_out={out}",
        f"--grpc_python_out={out}",
        *(str(p.relative_to(proto_root)) for p in protos),
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed (its message is above)")
    return protos


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--proto", type=pathlib.Path, default=DEFAULT_PROTO, help="odoo-mesh's proto/ directory"
    )
    parser.add_argument("--out", type=pathlib.Path, default=HERE / "generated", help="where the stubs go")
    args = parser.parse_args()
    protos = generate(args.proto.resolve(), args.out.resolve())
    print(f"generated the stubs of {len(protos)} protos into {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()

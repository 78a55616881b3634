#!/usr/bin/env python3
"""Compares orfeas_parity's outputs (ours.<dtype>.safetensors) with the reference's
(io.<dtype>.safetensors) in every model folder under DIR and prints the parity table as Markdown:

    python3 tools/parity/compare.py DIR [--table OUT.md]

Per case: max |ours − ref|, relative error ‖ours − ref‖ / ‖ref‖, the count of differing elements,
against the bounds of issue 8 (rel. ≤ 1e-4 in fp32, ≤ 2e-2 in fp16/bf16; sampled latents ≤ 2e-2;
mesh: symmetric Chamfer ≤ 1e-3 of the reference's bounding-box diagonal; hierarchical decoding: no
cell that the dense surface crosses left unevaluated, and equal values where evaluated). Needs numpy
and safetensors only (scipy for the Chamfer distance). Exit status 1 when a row fails.
"""
import argparse
import glob
import os
import sys

import numpy as np
from safetensors.numpy import load_file

BOUNDS = {"fp32": 1e-4, "fp16": 2e-2, "bf16": 2e-2}
CASES = [("dino", "DINOv2"), ("cond", "Conditioner (preprocess + encode)"), ("dit", None),
         ("vae", "ShapeVAE decode_latents"), ("geo", "Geometry decoder query"),
         ("sample", "Sampling (pipeline latents)")]


def denoiser_name(folder):
    return "HunyuanDitPlain" if "v2-1" in folder else "Hunyuan3DDit"


def dino_name(folder):
    return "DINOv2-large" if "v2-1" in folder else "DINOv2-giant"


def row(module, config, dtype, ours, ref, bound):
    a, b = ours.astype(np.float64).ravel(), ref.astype(np.float64).ravel()
    if a.shape != b.shape:
        return [module, config, dtype, "shape", f"{ours.shape} vs {ref.shape}", "", f"{bound:g}", "FAIL"]
    d = np.abs(a - b)
    finite = np.isfinite(a).all() and np.isfinite(b).all()
    rel = np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-30) if finite else float("nan")
    ok = finite and rel <= bound
    return [module, config, dtype, f"{d.max():.3g}", f"{rel:.3g}", f"{int((d > 0).sum())}/{d.size}",
            f"≤ {bound:g}", "pass" if ok else "FAIL"]


def chamfer(p, q):
    from scipy.spatial import cKDTree
    d1 = cKDTree(q).query(p)[0]
    d2 = cKDTree(p).query(q)[0]
    return 0.5 * (d1.mean() + d2.mean()), max(d1.max(), d2.max())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--table")
    args = ap.parse_args()
    rows = []
    for folder in sorted(glob.glob(os.path.join(args.dir, "*", "config.yaml"))):
        folder = os.path.dirname(folder)
        config = os.path.basename(folder).replace("hunyuan3d-dit-", "")
        for dtype, bound in BOUNDS.items():
            io_path, ours_path = (os.path.join(folder, f"{p}.{dtype}.safetensors") for p in ("io", "ours"))
            if not os.path.exists(io_path):
                continue
            if not os.path.exists(ours_path):
                rows.append(["(all)", config, dtype, "", "", "", "", "FAIL: no output of ours"])
                continue
            io, ours = load_file(io_path), load_file(ours_path)
            for case, name in CASES:
                if case + ".ref" not in io or case + ".out" not in ours:
                    continue
                module = name or denoiser_name(folder)
                if case == "dino":
                    module = dino_name(folder)
                rows.append(row(module, config, dtype, ours[case + ".out"], io[case + ".ref"],
                                2e-2 if case == "sample" else bound))
            if "prep.out" in ours and "cond.image" in io:  # ours from the PNG vs ImageProcessorV2's
                r = row("Image preprocessing (from the PNG)", config, "fp32", ours["prep.out"], io["cond.image"], 1e-4)
                r[5] += f" (max {np.abs(ours['prep.out'] - io['cond.image']).max() * 127.5:.2g} of 255)"
                rows.append(r)
            if "mesh.ref_vertices" in io and "mesh.out" in ours:
                ref_v, our_v = io["mesh.ref_vertices"].astype(np.float64), ours["mesh.out"].astype(np.float64)
                diag = np.linalg.norm(ref_v.max(0) - ref_v.min(0))
                mean_d, max_d = chamfer(our_v, ref_v)
                ok = mean_d <= 1e-3 * diag
                rows.append([f"Mesh at octree {int(io['mesh.octree'][0])} (Chamfer / bbox diag.)", config, dtype,
                             f"{max_d / diag:.3g} (Hausdorff)", f"{mean_d / diag:.3g}",
                             f"{len(our_v)} vs {len(ref_v)} vertices", "≤ 1e-3", "pass" if ok else "FAIL"])
            if "hier.crossed_unevaluated" in ours:
                miss = int(ours["hier.crossed_unevaluated"][0])
                diff = float(ours["hier.max_diff"][0])
                ev, pts = int(ours["hier.evaluated"][0]), int(ours["hier.points"][0])
                ok = miss == 0 and diff == 0.0
                rows.append(["Hierarchical vs dense field (ours)", config, dtype, f"{diff:.3g}", "",
                             f"{miss} of {int(ours['hier.crossed_cells'][0])} crossed cells unevaluated; "
                             f"{ev}/{pts} points evaluated", "0 and 0", "pass" if ok else "FAIL"])
    header = ["module", "configuration", "dtype", "max abs error", "rel. error", "differing elements", "bound",
              "result"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    table = "\n".join(lines)
    print(table)
    if args.table:
        with open(args.table, "w") as f:
            f.write(table + "\n")
    return 1 if any(not r[-1].startswith("pass") for r in rows) or not rows else 0


if __name__ == "__main__":
    sys.exit(main())

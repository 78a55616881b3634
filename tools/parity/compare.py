#!/usr/bin/env python3
"""Compares orfeas_parity's outputs (ours.<dtype>.safetensors) with the reference's
(io.<dtype>.safetensors) in every model folder under DIR and prints the parity table as Markdown:

    python3 tools/parity/compare.py DIR [--table OUT.md]

Per case: max |ours − ref|, relative error ‖ours − ref‖ / ‖ref‖, the count of differing elements,
against the bounds of issue 8 (rel. ≤ 1e-4 in fp32, ≤ 2e-2 in fp16/bf16; sampled latents ≤ 2e-2;
mesh: symmetric Chamfer ≤ 1e-3 of the reference's bounding-box diagonal, on a field whose surface
does not reach the box's faces; hierarchical decoding: the same surface as dense decoding — no cell
that the dense surface crosses left unevaluated, no evaluated point whose sign differs from the
dense field's beyond fp16 rounding of 0, and the two meshes within Chamfer 1e-3 of the diagonal).
Needs numpy and safetensors only (scipy for the Chamfer distance). Exit status 1 when a row fails.
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


def load(path):
    """safetensors as numpy, bf16 widened to float32 (numpy has no bfloat16)."""
    try:
        return load_file(path)
    except TypeError:
        from safetensors import safe_open
        out = {}
        with safe_open(path, framework="pt") as f:
            for k in f.keys():
                t = f.get_tensor(k)
                out[k] = (t.float() if t.is_floating_point() else t).numpy()
        return out


def signed_volume(v, f):
    a, b, c = v[f[:, 0]], v[f[:, 1]], v[f[:, 2]]
    return float(np.einsum("ij,ij->i", a, np.cross(b, c)).sum() / 6)


def mesh_of(tensors, key):
    """Vertices [V, 3] float64 and faces [F, 3] int64; vertices that are not finite are dropped with
    their faces, as the reference's trimesh export does (notes §1.15)."""
    v = tensors[key + "vertices"].astype(np.float64)
    f = tensors[key + "faces"].astype(np.int64)
    finite = np.isfinite(v).all(1)
    if not finite.all():
        remap = np.cumsum(finite) - 1
        f = remap[f[finite[f].all(1)]]
        v = v[finite]
    return v, f


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
            io, ours = load(io_path), load(ours_path)
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
            if "mesh.ref_vertices" in io and "mesh.vertices" in ours:
                ref_v, ref_f = mesh_of(io, "mesh.ref_")
                our_v, our_f = mesh_of(ours, "mesh.")
                diag = np.linalg.norm(ref_v.max(0) - ref_v.min(0))
                mean_d, max_d = chamfer(our_v, ref_v)
                border = int(io["mesh.border_inside"][0]) if "mesh.border_inside" in io else -1
                ok = mean_d <= 1e-3 * diag and border == 0
                vol_ours, vol_ref = signed_volume(our_v, our_f), signed_volume(ref_v, ref_f)
                rows.append([f"Mesh at octree {int(io['mesh.octree'][0])} (Chamfer / bbox diag.)", config, dtype,
                             f"{max_d / diag:.3g} (Hausdorff)", f"{mean_d / diag:.3g}",
                             f"{len(our_v)} vs {len(ref_v)} vertices, {len(our_f)} vs {len(ref_f)} faces; "
                             f"signed volume {vol_ours:.5g} vs {vol_ref:.5g}; {border} border points inside",
                             "≤ 1e-3", "pass" if ok else "FAIL"])
            if "hier.crossed_unevaluated" in ours:
                miss = int(ours["hier.crossed_unevaluated"][0])
                diff = float(ours["hier.max_diff"][0])
                flips = int(ours["hier.sign_flips"][0])
                flips_far = int(ours["hier.sign_flips_beyond_tolerance"][0])
                tol = float(ours["hier.sign_tolerance"][0])
                ev, pts = int(ours["hier.evaluated"][0]), int(ours["hier.points"][0])
                detail = (f"{miss} of {int(ours['hier.crossed_cells'][0])} crossed cells unevaluated; "
                          f"{flips} sign flips, {flips_far} with dense logit ≥ {tol:g}; "
                          f"{ev}/{pts} points evaluated ({ev / pts:.1%})")
                ok = miss == 0 and flips_far == 0
                # the mesh with volume_decoding.h's NaN rule (no face on an edge with an unevaluated
                # end), and as the hunyuan3d backend hands the field over (NaN = outside)
                for key, how in (("hier.rule_mesh.", "NaN rule"), ("hier.mesh.", "as the backend hands it over: coarse values")):
                    if key + "vertices" not in ours or "mesh.vertices" not in ours:
                        continue
                    dv, _ = mesh_of(ours, "mesh.")
                    hv, _ = mesh_of(ours, key)
                    diag = np.linalg.norm(dv.max(0) - dv.min(0))
                    mean_d, max_d = chamfer(hv, dv)
                    good = ok and mean_d <= 1e-3 * diag
                    rows.append([f"Hierarchical vs dense surface (ours, {how}; Chamfer / bbox diag.)", config, dtype,
                                 f"{diff:.3g}", f"{mean_d / diag:.3g}",
                                 detail + f"; meshes {len(hv)} vs {len(dv)} vertices, Hausdorff {max_d / diag:.3g}",
                                 "0 unevaluated, 0 flips, ≤ 1e-3", "pass" if good else "FAIL"])
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

#!/usr/bin/env python3
"""Compares orfeas_parity's outputs (ours.<dtype>.safetensors) with the reference's
(io.<dtype>.safetensors) in every model folder under DIR and prints the parity table as Markdown:

    python3 tools/parity/compare.py DIR [--table OUT.md]

Per case: max |ours − ref|, relative error ‖ours − ref‖ / ‖ref‖, the count of differing elements,
against the bounds of issue 8 (rel. ≤ 1e-4 in fp32, ≤ 2e-2 in fp16/bf16; sampled latents ≤ 2e-2;
mesh, at each octree resolution the reference wrote: symmetric Chamfer ≤ 1e-3 of the reference's
bounding-box diagonal, on a field whose surface does not reach the box's faces; hierarchical
decoding: the same surface as dense decoding — no cell that the dense surface crosses left
unevaluated, no evaluated point whose sign differs from the dense field's beyond fp16 rounding of 0,
and the two meshes within Chamfer 1e-3 of the diagonal). The multi-view model adds cond2 (two named
views) and sample2 / sample2c (two views through Hunyuan3DPipeline::latents and composed from the
engine's parts, both against the reference's sample2); a case our side could not run
('<case>.error') is a FAIL row with the message.
Needs numpy and safetensors only (scipy for the Chamfer distance). Exit status 1 when a row fails.
"""
import argparse
import glob
import os
import sys

import numpy as np
from safetensors.numpy import load_file

BOUNDS = {"fp32": 1e-4, "fp16": 2e-2, "bf16": 2e-2}
CASES = [("dino", "DINOv2"), ("cond", "Conditioner (preprocess + encode)"), ("cond2", None), ("dit", None),
         ("vae", "ShapeVAE decode_latents"), ("geo", "Geometry decoder query"),
         ("sample", "Sampling (pipeline latents)"), ("sample2", None), ("sample2c", None)]
SAMPLED = ("sample", "sample2", "sample2c")


def denoiser_name(folder):
    return "HunyuanDitPlain" if "v2-1" in folder else "Hunyuan3DDit"


def dino_name(folder):
    return "DINOv2-large" if "v2-1" in folder else "DINOv2-giant"


def views_of(io, key):
    return ", ".join(str(int(v)) for v in io[key]) if key in io else "?"


def case_name(case, name, folder, io):
    """The row's module name; for the multi-view and guidance-distilled cases with what they ran on."""
    steps = int(io["sample.steps"][0]) if "sample.steps" in io else 0
    if case == "dino":
        return dino_name(folder)
    if case == "dit":
        context = io["dit.cond"].shape[1] if "dit.cond" in io else 0
        extra = f" ({context // 1370}-view context, {context} tokens)" if context > 1370 else ""
        return denoiser_name(folder) + extra
    if case == "cond" and io["cond.image"].ndim == 5:
        return f"{name}, {io['cond.image'].shape[1]} views (Conditioner::encode: indices 0..V−1)"
    if case == "cond2":
        return (f"Conditioner (preprocess + encode), {io['cond2.image'].shape[1]} views "
                f"(encode_views, view indices {views_of(io, 'cond2.views')})")
    if case == "sample":
        how = []
        if io["cond.image"].ndim == 5:
            how.append(f"{io['cond.image'].shape[1]} views")
        how.append(f"{steps} steps")
        how.append("guidance 5 embedded, no CFG" if "fast" in folder or "turbo" in folder else "CFG 5")
        return f"{name}, {', '.join(how)}"
    if case in ("sample2", "sample2c"):
        n = io["sample2.image"].shape[1]
        views = views_of(io, "sample2.views")
        steps2 = int(io["sample2.steps"][0])
        how = ("Hunyuan3DPipeline::latents" if case == "sample2" else
               f"encode_views + unconditional(1, {n}) + sample_latents")
        return f"Sampling, {n} views (indices {views}), {steps2} steps, CFG 5: {how}"
    return name


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


def mesh_rows(io, ours, config, dtype, octree):
    """Our mesh of the dense volume at `octree` against scikit-image's of the reference's; the
    hierarchical decoder's field and meshes against our dense ones."""
    rows = []
    m, h = f"mesh.{octree}.", f"hier.{octree}."
    if m + "ref_vertices" in io and m + "vertices" in ours:
        ref_v, ref_f = mesh_of(io, m + "ref_")
        our_v, our_f = mesh_of(ours, m)
        diag = np.linalg.norm(ref_v.max(0) - ref_v.min(0))
        mean_d, max_d = chamfer(our_v, ref_v)
        border = int(io[m + "border_inside"][0]) if m + "border_inside" in io else -1
        ok = mean_d <= 1e-3 * diag and border == 0
        vol_ours, vol_ref = signed_volume(our_v, our_f), signed_volume(ref_v, ref_f)
        rows.append([f"Mesh at octree {octree} (Chamfer / bbox diag.)", config, dtype,
                     f"{max_d / diag:.3g} (Hausdorff)", f"{mean_d / diag:.3g}",
                     f"{len(our_v)} vs {len(ref_v)} vertices, {len(our_f)} vs {len(ref_f)} faces; "
                     f"signed volume {vol_ours:.5g} vs {vol_ref:.5g}; {border} border points inside",
                     "≤ 1e-3", "pass" if ok else "FAIL"])
    elif m + "vertices" in ours or m + "ref_vertices" in io:
        rows.append([f"Mesh at octree {octree}", config, dtype, "", "", "a side has no mesh", "≤ 1e-3", "FAIL"])
    if h + "crossed_unevaluated" in ours:
        miss = int(ours[h + "crossed_unevaluated"][0])
        diff = float(ours[h + "max_diff"][0])
        flips = int(ours[h + "sign_flips"][0])
        flips_far = int(ours[h + "sign_flips_beyond_tolerance"][0])
        tol = float(ours[h + "sign_tolerance"][0])
        ev, pts = int(ours[h + "evaluated"][0]), int(ours[h + "points"][0])
        detail = (f"{miss} of {int(ours[h + 'crossed_cells'][0])} crossed cells unevaluated; "
                  f"{flips} sign flips, {flips_far} with dense logit ≥ {tol:g}; "
                  f"{ev}/{pts} points evaluated ({ev / pts:.1%})")
        ok = miss == 0 and flips_far == 0
        # the mesh with volume_decoding.h's NaN rule (no face on an edge with an unevaluated end), and
        # as the hunyuan3d backend hands the field over (unevaluated points: the coarse level's value)
        for key, how in ((h + "rule_mesh.", "NaN rule"), (h + "mesh.", "as the backend hands it over: coarse values")):
            if key + "vertices" not in ours or m + "vertices" not in ours:
                continue
            dv, _ = mesh_of(ours, m)
            hv, _ = mesh_of(ours, key)
            diag = np.linalg.norm(dv.max(0) - dv.min(0))
            mean_d, max_d = chamfer(hv, dv)
            good = ok and mean_d <= 1e-3 * diag
            rows.append([f"Hierarchical vs dense surface at octree {octree} (ours, {how}; Chamfer / bbox diag.)",
                         config, dtype, f"{diff:.3g}", f"{mean_d / diag:.3g}",
                         detail + f"; meshes {len(hv)} vs {len(dv)} vertices, Hausdorff {max_d / diag:.3g}",
                         "0 unevaluated, 0 flips, ≤ 1e-3", "pass" if good else "FAIL"])
    return rows


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
                ref_key = ("sample2" if case == "sample2c" else case) + ".ref"
                if ref_key not in io:
                    continue
                module = case_name(case, name, folder, io)
                case_bound = 2e-2 if case in SAMPLED else bound
                if case + ".error" in ours:  # our side failed on this case: the message
                    message = "".join(chr(int(c)) for c in ours[case + ".error"]).replace("|", "/")
                    message = " ".join(message.split())
                    rows.append([module, config, dtype, "error", "", message[:300], f"≤ {case_bound:g}", "FAIL"])
                    continue
                if case + ".out" not in ours:
                    continue
                rows.append(row(module, config, dtype, ours[case + ".out"], io[ref_key], case_bound))
            if "prep.out" in ours and "cond.image" in io:  # ours from the PNG(s) vs ImageProcessorV2's
                views = f", {io['cond.image'].shape[1]} views" if io["cond.image"].ndim == 5 else ""
                r = row(f"Image preprocessing (from the PNG{'s' if views else ''}{views})", config, "fp32",
                        ours["prep.out"], io["cond.image"], 1e-4)
                r[5] += f" (max {np.abs(ours['prep.out'] - io['cond.image']).max() * 127.5:.2g} of 255)"
                rows.append(r)
            octrees = [int(r) for r in io["mesh.octrees"]] if "mesh.octrees" in io else []
            for octree in octrees:
                rows += mesh_rows(io, ours, config, dtype, octree)
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

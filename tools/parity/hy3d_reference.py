#!/usr/bin/env python3
"""The reference side of the parity harness (docs/parity.md): Tencent's own modules, at the real
Hunyuan3D-2 / 2.1 configurations, with seeded random weights.

    python3 tools/parity/hy3d_reference.py OUT [--models v2-0,v2-mini,v2-0-turbo,v2-1,v2-0-fast,v2-mv]
                                               [--dtypes fp32,fp16,bf16] [--octree 256,384]
    python3 tools/parity/hy3d_reference.py OUT --bench          # timings of the reference pipeline

For each model it writes OUT/<model>/config.yaml (the real hyper-parameters) and
model.fp16.safetensors (keys prefixed model. / vae. / conditioner., the official layout), then runs
each module on fixed seeded inputs in each dtype and writes OUT/<model>/io.<dtype>.safetensors:
'<case>.<input>' tensors and '<case>.ref' outputs. orfeas_parity reads the same files and writes
ours.<dtype>.safetensors; compare.py compares the two.

The reference code is never part of the repository: it is imported from the git-ignored folder
third_party_ref/ (hy3dgen from Tencent-Hunyuan/Hunyuan3D-2, hy3dshape from Hunyuan3D-2.1; see
run_gpu.sh), with small stand-ins for the packages the GPU machine lacks (diffusers, trimesh,
omegaconf) registered before the import. Weights are rounded to fp16 once and saved: every dtype's
run, ours and theirs, starts from the same values.

Sampling (fp16): v2-0 and v2-0-fast 50 steps (the pipeline's default; -fast with the guidance as an
embedding, no CFG batch), the turbo model 5; the multi-view model 50 steps on four views and again on
two (front + left). The multi-view conditioner is also run on front + back (view indices 0, 2).

The model that is meshed (v2-0, at each --octree resolution) gets a geometry decoder whose field is
a closed surface well inside the box: its output_proj is fitted by ridge regression (on the
decoder's own features for the sampled latents) to a sphere's logits, so that the mesh comparison
measures marching cubes and not how each side caps a surface cut by the box (fit_sphere_).

--bench times the reference pipeline (fp16: conditioning + sampling, the dense VanillaVolumeDecoder,
scikit-image's marching cubes) on the v2-0 folder written before, after a warm-up, and writes
OUT/bench_reference.json (docs/benchmarks.md).
"""
import json
import argparse
import contextlib
import dataclasses
import functools
import inspect
import math
import os
import sys
import time
import types

import numpy as np
import torch
import yaml
from safetensors.torch import save_file

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REF = os.path.join(ROOT, "third_party_ref")


# ---------------------------------------------------------------------------------------------
# Stand-ins for what the GPU machine lacks (reference doc §8). Only what the shape path touches.

def _module(name, **attrs):
    mod = types.ModuleType(name)
    mod.__dict__.update(attrs)
    mod.__path__ = []
    sys.modules[name] = mod
    return mod


def install_stand_ins():
    try:
        import diffusers  # noqa: F401
        return
    except ImportError:
        pass
    from torch import nn

    class BaseOutput:
        def __getitem__(self, i):
            return dataclasses.astuple(self)[i]

    class ConfigMixin:
        pass

    class SchedulerMixin:
        pass

    def register_to_config(init):
        @functools.wraps(init)
        def wrapper(self, *args, **kwargs):
            bound = inspect.signature(init).bind(self, *args, **kwargs)
            bound.apply_defaults()
            self.config = types.SimpleNamespace(**{k: v for k, v in bound.arguments.items() if k != "self"})
            init(self, *args, **kwargs)
        return wrapper

    def randn_tensor(shape, generator=None, device=None, dtype=None, layout=None):
        # diffusers draws on the generator's device, then moves the tensor
        gen_device = generator.device if generator is not None else torch.device("cpu")
        return torch.randn(shape, generator=generator, device=gen_device, dtype=dtype).to(device)

    class _Gelu(nn.Module):
        def __init__(self, dim_in, dim_out, approximate="none", bias=True):
            super().__init__()
            self.proj = nn.Linear(dim_in, dim_out, bias=bias)
            self.approximate = approximate

        def forward(self, x):
            return nn.functional.gelu(self.proj(x), approximate=self.approximate)

    class FeedForward(nn.Module):  # diffusers' FeedForward for activation_fn "gelu"
        def __init__(self, dim, dim_out=None, mult=4, dropout=0.0, activation_fn="geglu", final_dropout=False,
                     inner_dim=None, bias=True):
            super().__init__()
            assert activation_fn == "gelu" and not final_dropout, activation_fn
            inner_dim = inner_dim or int(dim * mult)
            self.net = nn.ModuleList([_Gelu(dim, inner_dim, bias=bias), nn.Dropout(dropout),
                                      nn.Linear(inner_dim, dim_out or dim, bias=bias)])

        def forward(self, x):
            for layer in self.net:
                x = layer(x)
            return x

    import logging
    _module("diffusers")
    _module("diffusers.utils", BaseOutput=BaseOutput, logging=types.SimpleNamespace(get_logger=logging.getLogger))
    _module("diffusers.utils.torch_utils", randn_tensor=randn_tensor)
    _module("diffusers.utils.import_utils", is_accelerate_available=lambda: False,
            is_accelerate_version=lambda *a: False)
    _module("diffusers.configuration_utils", ConfigMixin=ConfigMixin, register_to_config=register_to_config)
    _module("diffusers.schedulers")
    _module("diffusers.schedulers.scheduling_utils", SchedulerMixin=SchedulerMixin)
    _module("diffusers.models")
    _module("diffusers.models.attention", FeedForward=FeedForward)
    for name in ("trimesh", "pymeshlab"):
        if name not in sys.modules:
            try:
                __import__(name)
            except ImportError:
                _module(name, Trimesh=object, Scene=object)
    try:
        import omegaconf  # noqa: F401
    except ImportError:
        _module("omegaconf", OmegaConf=object, DictConfig=dict, ListConfig=list)
    if not hasattr(torch.backends.cuda, "sdp_kernel"):
        torch.backends.cuda.sdp_kernel = lambda **k: contextlib.nullcontext()


def import_reference():
    """hy3dgen.shapegen (2.0) and hy3dshape (2.1) as packages, without their __init__ (which pull in
    the whole app)."""
    install_stand_ins()
    h2 = os.path.join(REF, "Hunyuan3D-2", "hy3dgen")
    h21 = os.path.join(REF, "Hunyuan3D-2.1", "hy3dshape", "hy3dshape")
    for path in (h2, h21):
        if not os.path.isdir(path):
            sys.exit(f"missing {path}: fill third_party_ref/ as tools/parity/run_gpu.sh says")
    _module("hy3dgen").__path__ = [h2]
    _module("hy3dgen.shapegen").__path__ = [os.path.join(h2, "shapegen")]
    _module("hy3dshape").__path__ = [h21]
    import importlib
    ref = types.SimpleNamespace()
    ref.dit = importlib.import_module("hy3dgen.shapegen.models.denoisers.hunyuan3ddit")
    ref.vae = importlib.import_module("hy3dgen.shapegen.models.autoencoders.model")
    ref.volume = importlib.import_module("hy3dgen.shapegen.models.autoencoders.volume_decoders")
    ref.cond = importlib.import_module("hy3dgen.shapegen.models.conditioner")
    ref.sched = importlib.import_module("hy3dgen.shapegen.schedulers")
    ref.pre = importlib.import_module("hy3dgen.shapegen.preprocessors")
    ref.pipe = importlib.import_module("hy3dgen.shapegen.pipelines")
    ref.plain = importlib.import_module("hy3dshape.models.denoisers.hunyuandit")
    return ref


# ---------------------------------------------------------------------------------------------
# The real configurations (notes/hy3d-architecture.md §2.2; KJ's verbatim copies of the hub files).

DINO_GIANT = dict(attention_probs_dropout_prob=0.0, drop_path_rate=0.0, hidden_act="gelu", hidden_dropout_prob=0.0,
                  hidden_size=1536, image_size=518, initializer_range=0.02, layer_norm_eps=1e-6,
                  layerscale_value=1.0, mlp_ratio=4, model_type="dinov2", num_attention_heads=24,
                  num_channels=3, num_hidden_layers=40, patch_size=14, qkv_bias=True, torch_dtype="float32",
                  use_swiglu_ffn=True)
DINO_LARGE = dict(DINO_GIANT, hidden_size=1024, num_attention_heads=16, num_hidden_layers=24, use_swiglu_ffn=False)
DIT_V2_0 = dict(in_channels=64, context_in_dim=1536, hidden_size=1024, mlp_ratio=4.0, num_heads=16, depth=16,
                depth_single_blocks=32, axes_dim=[64], theta=10000, qkv_bias=True, guidance_embed=False)
VAE_V2_0 = dict(num_latents=3072, embed_dim=64, num_freqs=8, include_pi=False, heads=16, width=1024,
                num_decoder_layers=16, qkv_bias=False, qk_norm=True, scale_factor=0.9990943042622529)
PLAIN_V2_1 = dict(input_size=4096, in_channels=64, hidden_size=2048, context_dim=1024, depth=21, num_heads=16,
                  qk_norm=True, text_len=1370, with_decoupled_ca=False, use_attention_pooling=False,
                  qk_norm_type="rms", qkv_bias=False, use_pos_emb=False, num_moe_layers=6, num_experts=8,
                  moe_top_k=2)
VAE_V2_1 = dict(num_latents=4096, embed_dim=64, num_freqs=8, include_pi=False, heads=16, width=1024,
                num_encoder_layers=8, num_decoder_layers=16, qkv_bias=False, qk_norm=True,
                scale_factor=1.0039506158752403, geo_decoder_mlp_expand_ratio=4, geo_decoder_downsample_ratio=1,
                geo_decoder_ln_post=True, point_feats=4, pc_size=81920, pc_sharpedge_size=0)
EULER = dict(target="hy3dgen.shapegen.schedulers.FlowMatchEulerDiscreteScheduler",
             params=dict(num_train_timesteps=1000))
# The turbo hub config was never seen (notes §2.2, §15), so this row's config is an assumption, stated
# in docs/parity.md: guidance_embed and the consistency scheduler with pcm_timesteps 100, the value
# the ComfyUI port of the turbo models uses (the reference's default when the key is absent is 50).
# Both sides read the value from the same config.yaml, so parity holds for whatever the hub file says;
# only which schedule the row exercises depends on the assumption.
CONSISTENCY = dict(target="hy3dgen.shapegen.schedulers.ConsistencyFlowMatchEulerDiscreteScheduler",
                   params=dict(num_train_timesteps=1000, pcm_timesteps=100))
# The -fast and -mv hub configs were never seen either (notes §2.2). -fast: v2-0 with guidance_embed
# and the plain Euler schedule, run by the same pipeline class (Hunyuan3DDiTFlowMatchingPipeline
# skips CFG and embeds the guidance scale when the model has guidance_embed). -mv: v2-0's DiT and VAE
# (the fact sheet: "the same geometry is reported for mv"; 3072 latents), the encoder
# DinoImageEncoderMV (view_num left out: its default, 4, as the reference and our parser take it)
# and MVImageProcessorV2, which the pipeline needs for a dict of views (prepare_image).


def pipeline_config(model, vae, dino, scheduler, denoiser="hy3dgen.shapegen.models.Hunyuan3DDiT", multiview=False):
    return dict(
        model=dict(target=denoiser, params=model),
        vae=dict(target="hy3dgen.shapegen.models.ShapeVAE", params=vae),
        conditioner=dict(target="hy3dgen.shapegen.models.SingleImageEncoder",
                         params=dict(main_image_encoder=dict(
                             type="DinoImageEncoderMV" if multiview else "DinoImageEncoder",
                             kwargs=dict(config=dino, image_size=518)))),
        scheduler=scheduler,
        image_processor=dict(target="hy3dgen.shapegen.preprocessors." +
                             ("MVImageProcessorV2" if multiview else "ImageProcessorV2"),
                             params=dict(size=512, border_ratio=0.15)),
        pipeline=dict(target="hy3dgen.shapegen.pipelines.Hunyuan3DDiTFlowMatchingPipeline"))


MODELS = {
    "v2-0": pipeline_config(DIT_V2_0, VAE_V2_0, DINO_GIANT, EULER),
    "v2-mini": pipeline_config(dict(DIT_V2_0, depth=8, depth_single_blocks=16),
                               dict(VAE_V2_0, num_latents=512, scale_factor=1.0188137142395404), DINO_GIANT, EULER),
    "v2-0-turbo": pipeline_config(dict(DIT_V2_0, guidance_embed=True), VAE_V2_0, DINO_GIANT, CONSISTENCY),
    "v2-0-fast": pipeline_config(dict(DIT_V2_0, guidance_embed=True), VAE_V2_0, DINO_GIANT, EULER),
    "v2-mv": pipeline_config(DIT_V2_0, VAE_V2_0, DINO_GIANT, EULER, multiview=True),
    "v2-1": pipeline_config(PLAIN_V2_1, VAE_V2_1, DINO_LARGE, EULER,
                            denoiser="hy3dshape.models.denoisers.hunyuandit.HunYuanDiTPlain"),
}
FOLDERS = {"v2-0": "hunyuan3d-dit-v2-0", "v2-mini": "hunyuan3d-dit-v2-mini",
           "v2-0-turbo": "hunyuan3d-dit-v2-0-turbo", "v2-1": "hunyuan3d-dit-v2-1",
           "v2-0-fast": "hunyuan3d-dit-v2-0-fast", "v2-mv": "hunyuan3d-dit-v2-mv"}
# the views of the multi-view model: MVImageProcessorV2's tags and their view indices
VIEW_TAGS = ("front", "left", "back", "right")
DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}


# ---------------------------------------------------------------------------------------------
# Random weights: the same scheme as the engine's random_*_weights, so activations stay O(1).

def randomize_(module, seed, smooth_geo_decoder=False, num_freqs=8):
    device = next(module.parameters()).device
    gen = torch.Generator(device=device).manual_seed(seed)
    with torch.no_grad():
        for name, p in sorted(module.named_parameters()):
            shape = tuple(p.shape)
            leaf = name.rsplit(".", 1)[-1]
            if leaf in ("cls_token", "mask_token", "position_embeddings"):
                v = 0.02 * torch.randn(shape, generator=gen, device=device)
            elif len(shape) >= 2:
                fan_in = int(np.prod(shape[1:]))
                v = (0.5 / math.sqrt(fan_in)) * torch.randn(shape, generator=gen, device=device)
            elif leaf == "bias":
                v = 0.02 * torch.randn(shape, generator=gen, device=device)
            elif leaf == "lambda1":  # DINOv2 layer scale
                v = 0.1 * (1 + 0.1 * torch.randn(shape, generator=gen, device=device))
            else:  # norm weights and scales
                v = 1 + 0.1 * torch.randn(shape, generator=gen, device=device)
            p.copy_(v.half().float())
        if smooth_geo_decoder:
            # Zero the geometry decoder's high-frequency Fourier columns (2^3.. of each axis, sin and
            # cos) so that the field is smooth enough for a surface (reference doc §8).
            w = module.geo_decoder.query_proj.weight  # [W, 3 (2F + 1)]
            for axis in range(3):
                for f in range(3, num_freqs):
                    w[:, 3 + axis * num_freqs + f] = 0
                    w[:, 3 + 3 * num_freqs + axis * num_freqs + f] = 0
            # a positive offset: a blob inside, negative far away (the field's sign must change)
            module.geo_decoder.output_proj.bias.fill_(0.5)
    return module


def save_checkpoint(path, parts):
    tensors = {}
    for prefix, module, skip in parts:
        for name, t in module.state_dict().items():
            if any(name.startswith(s) for s in skip):
                continue
            tensors[f"{prefix}.{name}"] = t.detach().to("cpu", torch.float16).contiguous()
    save_file(tensors, path)
    return len(tensors)


def reference_image(path, size=640, view=0):
    """A deterministic RGBA cut-out: a shaded ellipse on transparency (view k > 0: another ellipse,
    another shade, for the views of the multi-view model)."""
    from PIL import Image
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    cx, cy, rx, ry = (300, 340, 210, 160) if view == 0 else (320 - 15 * view, 300 + 10 * view, 130 + 25 * view,
                                                             220 - 20 * view)
    inside = ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1
    rgba = np.zeros((size, size, 4), np.uint8)
    rgba[..., 0] = (x * 255 / size).astype(np.uint8)
    rgba[..., 1] = (y * 255 / size).astype(np.uint8)
    rgba[..., 2] = 128 + 30 * view
    rgba[..., 3] = np.where(inside, 255, 0)
    Image.fromarray(rgba, "RGBA").save(path)
    return Image.open(path)


def seeded(shape, seed, scale=1.0):
    return scale * torch.randn(shape, generator=torch.Generator().manual_seed(seed))


# ---------------------------------------------------------------------------------------------

def build(ref, name, cfg, device, randomize=True):
    m, v, c = cfg["model"]["params"], cfg["vae"]["params"], cfg["conditioner"]["params"]
    torch.manual_seed(0)
    with torch.device(device):
        if name == "v2-1":
            model = ref.plain.HunYuanDiTPlain(**m)
        else:
            model = ref.dit.Hunyuan3DDiT(**m)
        vae = ref.vae.ShapeVAE(**v)
        conditioner = ref.cond.SingleImageEncoder(**c)
    if not randomize:
        return model.eval(), vae.eval(), conditioner.eval()
    randomize_(model, 1)
    randomize_(vae, 2, smooth_geo_decoder=True, num_freqs=v["num_freqs"])
    randomize_(conditioner, 3)
    return model.eval(), vae.eval(), conditioner.eval()


def is_multiview(cfg):
    return cfg["conditioner"]["params"]["main_image_encoder"]["type"] == "DinoImageEncoderMV"


def multiview_inputs(ref, folder):
    """The multi-view model's images: four cut-outs written as view<k>.png (k = the view index) and
    MVImageProcessorV2's output for three dicts of them — all four views, front + back (indices 0, 2:
    a gap) and front + left (0, 1) — each given out of index order, so the processor's sorting is
    part of what is compared. Returns {name: (images [1, V, 3, 512, 512], view indices)}."""
    views = {tag: reference_image(os.path.join(folder, f"view{k}.png"), view=k) for k, tag in enumerate(VIEW_TAGS)}
    processor = ref.pre.MVImageProcessorV2(512, border_ratio=0.15)
    out = {}
    for key, tags in (("all", ("back", "right", "front", "left")), ("front_back", ("back", "front")),
                      ("front_left", ("left", "front"))):
        r = processor({tag: views[tag] for tag in tags})
        out[key] = (r["image"], tuple(int(v) for v in r["view_idxs"]))
    return out


def run_model(ref, name, out, device, dtypes, steps, octrees, log):
    cfg = MODELS[name]
    folder = os.path.join(out, FOLDERS[name])
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.yaml"), "w") as f:
        yaml.safe_dump(cfg, f, sort_keys=False)
    t0 = time.time()
    model, vae, conditioner = build(ref, name, cfg, device)
    multiview = is_multiview(cfg)
    view_idxs = None
    if multiview:
        mv = multiview_inputs(ref, folder)
        prepared, view_idxs = mv["all"]  # [1, 4, 3, 512, 512], (0, 1, 2, 3)
        log(f"{name}: views {', '.join(f'{k} {v[1]}' for k, v in mv.items())}")
    else:
        image = reference_image(os.path.join(folder, "reference.png"))
        processor = ref.pre.ImageProcessorV2(512, border_ratio=0.15)
        prepared = processor(image)["image"]  # [1, 3, 512, 512] f32 CPU
    if name == "v2-0" and steps > 0 and octrees:
        fit_sphere_(ref, cfg, model, vae, conditioner, prepared, device, steps, log)
    n = save_checkpoint(os.path.join(folder, "model.fp16.safetensors"),
                        [("model", model, ()), ("vae", vae, ("encoder.", "pre_kl.")),
                         ("conditioner", conditioner, ())])
    log(f"{name}: {n} tensors written in {time.time() - t0:.1f} s")
    m, v = cfg["model"]["params"], cfg["vae"]["params"]
    dino = cfg["conditioner"]["params"]["main_image_encoder"]["kwargs"]["config"]
    latents_n, ctx = v["num_latents"], dino["hidden_size"]
    # the denoiser's context: 1370 tokens per view (the multi-view model's four views: 5480)
    context_n = 1370 * (prepared.shape[1] if multiview else 1)
    for dname in dtypes:
        dt = DTYPES[dname]
        model.to(dt), vae.to(dt), conditioner.to(dt)
        io = {}
        cu = lambda t: t.to(device, dt)  # noqa: E731
        with torch.inference_mode():
            # DINOv2 on normalised pixels
            pixels = seeded((1, 3, 518, 518), 10)
            io["dino.pixels"] = pixels
            io["dino.ref"] = conditioner.main_image_encoder.model(cu(pixels)).last_hidden_state
            # Conditioner: the reference's prepared image(s), preprocessing + encoding; the multi-view
            # encoder with the view indices as the pipeline passes them (a list of one tuple)
            io["cond.image"] = prepared
            if multiview:
                io["cond.ref"] = conditioner(image=prepared, view_idxs=[view_idxs])["main"]
                images2, idx2 = mv["front_back"]
                io["cond2.image"], io["cond2.views"] = images2, torch.tensor(idx2, dtype=torch.int64)
                io["cond2.ref"] = conditioner(image=images2, view_idxs=[idx2])["main"]
            else:
                io["cond.ref"] = conditioner(image=prepared)["main"]
            # Denoiser: a CFG-shaped batch of 2
            x, t = seeded((2, latents_n, 64), 11), torch.tensor([0.37, 0.905])
            cond = seeded((2, context_n, ctx), 12)
            io["dit.x"], io["dit.t"], io["dit.cond"] = x, t, cond
            if name == "v2-1":
                io["dit.ref"] = model(cu(x), cu(t), {"main": cu(cond)})
            else:
                g = torch.tensor([5.0, 5.0])
                io["dit.guidance"] = g
                io["dit.ref"] = model(cu(x), cu(t), {"main": cu(cond)}, guidance=cu(g))
            # ShapeVAE: decode_latents and the geometry decoder on points
            lat = seeded((1, latents_n, 64), 13)
            io["vae.latents"] = lat
            tokens = vae(cu(lat))
            io["vae.ref"] = tokens
            pts = seeded((1, 8000, 3), 14).clamp(-1, 1) * 1.01
            io["geo.points"] = pts
            io["geo.ref"] = vae.geo_decoder(queries=cu(pts), latents=tokens)[..., 0]
        if dname == "fp16" and steps > 0 and name in ("v2-0", "v2-0-turbo", "v2-0-fast", "v2-mv"):
            n_steps = 5 if name == "v2-0-turbo" else steps
            sampling(ref, cfg, model, vae, conditioner, prepared, device, dt, n_steps,
                     octrees if name == "v2-0" else (), io, log, view_idxs=view_idxs)
            if multiview:  # two views, front + left (0, 1): the pipeline's index order
                images2, idx2 = mv["front_left"]
                t1 = time.time()
                io["sample2.image"], io["sample2.views"] = images2, torch.tensor(idx2, dtype=torch.int64)
                io["sample2.ref"] = sample_latents(ref, cfg, model, vae, conditioner, images2, device, dt, n_steps,
                                                   view_idxs=idx2)
                io["sample2.steps"] = torch.tensor([n_steps])
                torch.cuda.synchronize()
                log(f"sampling with views {idx2}: {n_steps} steps in {time.time() - t1:.1f} s")
        # bf16 outputs as float32 (exact): numpy, and so compare.py, has no bfloat16
        io = {k: t.detach().to("cpu", torch.float32 if t.dtype == torch.bfloat16 else t.dtype).contiguous()
              for k, t in io.items()}
        save_file(io, os.path.join(folder, f"io.{dname}.safetensors"))
        log(f"{name} {dname}: {len(io)} tensors, {time.time() - t0:.1f} s")
    del model, vae, conditioner
    torch.cuda.empty_cache()


def sampling(ref, cfg, model, vae, conditioner, prepared, device, dt, steps, octrees, io, log, view_idxs=None):
    t0 = time.time()
    latents = sample_latents(ref, cfg, model, vae, conditioner, prepared, device, dt, steps, view_idxs=view_idxs)
    torch.cuda.synchronize()
    io["sample.ref"] = latents
    io["sample.steps"] = torch.tensor([steps])
    log(f"sampling: {steps} steps in {time.time() - t0:.1f} s")
    if not octrees:
        return
    io["mesh.octrees"] = torch.tensor(list(octrees), dtype=torch.int64)
    for octree in octrees:
        mesh_case(ref, vae, latents, octree, io, f"mesh.{octree}.", log)


def mesh_case(ref, vae, latents, octree, io, key, log):
    """The reference's dense volume of the latents at `octree` and scikit-image's mesh of it, under
    '<key>ref_vertices' / '<key>ref_faces' (and the field's border and inside share)."""
    with torch.inference_mode():
        t0 = time.time()
        tokens = vae(1.0 / vae.scale_factor * latents)
        grid = ref.volume.VanillaVolumeDecoder()(tokens, vae.geo_decoder, bounds=1.01, num_chunks=8000,
                                                 octree_resolution=octree, enable_pbar=False)
        torch.cuda.synchronize()
        log(f"dense decoding at {octree}: {time.time() - t0:.1f} s; logits in "
            f"[{grid.min().item():.3g}, {grid.max().item():.3g}], {(grid > 0).float().mean().item():.3f} inside")
    field = grid[0].cpu().numpy()
    del grid, tokens
    # grid points on the box's faces that are inside: 0 for a closed surface that needs no capping
    border = np.concatenate([field[[0, -1]].ravel(), field[:, [0, -1]].ravel(), field[:, :, [0, -1]].ravel()])
    io[key + "border_inside"] = torch.tensor([int((border > 0).sum())])
    io[key + "inside_share"] = torch.tensor([float((field > 0).mean())])
    try:
        from skimage import measure
        t0 = time.time()
        verts, faces, _, _ = measure.marching_cubes(field, 0.0, method="lewiner")
        # the reference's vertex mapping (SurfaceExtractor.__call__): v / (R + 1) · 2.02 − 1.01
        verts = (verts / np.array([octree + 1] * 3) * 2.02 - 1.01).astype(np.float32)
        # what trimesh(process=True) does in export_to_trimesh: vertices that are not finite go, with
        # their faces (notes §1.15; none on a dense grid)
        finite = np.isfinite(verts).all(1)
        faces = faces[finite[faces].all(1)]
        io[key + "ref_vertices"] = torch.from_numpy(verts)
        io[key + "ref_faces"] = torch.from_numpy(np.ascontiguousarray(faces[:, ::-1]).astype(np.int32))
        log(f"reference mesh at {octree}: {len(verts)} vertices ({int((~finite).sum())} not finite), "
            f"{len(faces)} faces; {int(io[key + 'border_inside'][0])} border points inside; "
            f"marching cubes {time.time() - t0:.1f} s")
    except Exception as e:  # noqa: BLE001 (no surface: recorded, not fatal)
        log(f"reference marching cubes at {octree} failed: {e}")


def sample_latents(ref, cfg, model, vae, conditioner, prepared, device, dt, steps, seed=0, view_idxs=None):
    """The reference pipeline's latents for the prepared image (its prepare_image replaced; for the
    multi-view model with the view indices MVImageProcessorV2 gives, as prepare_image passes them:
    a list with one tuple per image)."""
    sched_cfg = cfg["scheduler"]
    cls = getattr(ref.sched, sched_cfg["target"].rsplit(".", 1)[-1])
    pipe = ref.pipe.Hunyuan3DDiTFlowMatchingPipeline(
        vae=vae, model=model, scheduler=cls(**sched_cfg["params"]), conditioner=conditioner,
        image_processor=None, device=device, dtype=dt)
    inputs = {"image": prepared, "mask": None}
    if view_idxs is not None:
        inputs["view_idxs"] = [tuple(view_idxs)]
    pipe.prepare_image = lambda image: dict(inputs)  # the same prepared pixels as ours
    return pipe(image="unused", num_inference_steps=steps, guidance_scale=5.0,
                generator=torch.Generator().manual_seed(seed), output_type="latent", enable_pbar=False)


def sphere_logits(points, radius, slope):
    """Positive inside a sphere about the origin, |gradient| = slope on it: slope/(2r)·(r² − |p|²)."""
    return slope / (2 * radius) * (radius ** 2 - (points.double() ** 2).sum(-1))


def fit_sphere_(ref, cfg, model, vae, conditioner, prepared, device, steps, log, radius=0.55, slope=8.0,
                n_fit=131072, chunk=16384):
    """Fits the geometry decoder's output_proj (a linear read-out of 1024 features) so that the field
    of the sampled latents is a sphere's logits: ridge regression on the decoder's features at random
    points of the box, in float64, rounded to fp16. The surface is then closed and far from the box's
    faces, as a real object's is. The latents do not depend on output_proj, so the sampling run
    later reproduces the tokens that this fit saw."""
    dt = torch.float16
    model.to(dt), vae.to(dt), conditioner.to(dt)
    t0 = time.time()
    latents = sample_latents(ref, cfg, model, vae, conditioner, prepared, device, dt, steps)
    geo = vae.geo_decoder
    gen = torch.Generator().manual_seed(21)
    pts = (torch.rand((1, n_fit + chunk, 3), generator=gen) * 2 - 1) * 1.01

    def features(points):
        with torch.inference_mode():
            tokens = vae(1.0 / vae.scale_factor * latents)
            head, geo.output_proj = geo.output_proj, torch.nn.Identity()
            try:
                return torch.cat([geo(queries=points[:, i:i + chunk].to(device, dt), latents=tokens)[0]
                                  for i in range(0, points.shape[1], chunk)])
            finally:
                geo.output_proj = head

    f = features(pts[:, :n_fit]).double()
    a = torch.cat([f, torch.ones_like(f[:, :1])], 1)
    y = sphere_logits(pts[0, :n_fit], radius, slope).to(a.device)
    gram = a.T @ a
    lam = 1e-3 * gram.diagonal().mean()
    w = torch.linalg.solve(gram + lam * torch.eye(gram.shape[0], dtype=gram.dtype, device=gram.device), a.T @ y)
    with torch.no_grad():
        geo.output_proj.weight.copy_(w[:-1].view(1, -1).to(geo.output_proj.weight.dtype))
        geo.output_proj.bias.copy_(w[-1:].to(geo.output_proj.bias.dtype))
        # held-out points, through the real fp16 decoder with the new read-out
        held = pts[:, n_fit:]
        with torch.inference_mode():
            tokens = vae(1.0 / vae.scale_factor * latents)
            pred = geo(queries=held.to(device, dt), latents=tokens)[0, :, 0].double().cpu()
    truth = sphere_logits(held[0], radius, slope)
    err = (pred - truth).abs()
    log(f"sphere fit: radius {radius}, slope {slope}; held-out |error| mean {err.mean():.3g}, max {err.max():.3g}; "
        f"sign agreement {((pred > 0) == (truth > 0)).double().mean():.5f}; max |w| {w[:-1].abs().max():.3g}; "
        f"{time.time() - t0:.1f} s")


def load_folder(ref, name, folder, device):
    """The modules of a folder written by run_model, from its model.fp16.safetensors."""
    from safetensors.torch import load_file
    model, vae, conditioner = build(ref, name, MODELS[name], device, randomize=False)
    tensors = load_file(os.path.join(folder, "model.fp16.safetensors"), device=str(device))
    for prefix, module in (("model.", model), ("vae.", vae), ("conditioner.", conditioner)):
        part = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
        missing, unexpected = module.load_state_dict(part, strict=False)
        missing = [k for k in missing if not k.startswith(("encoder.", "pre_kl."))]
        assert not missing and not unexpected, (prefix, missing[:5], unexpected[:5])
    return model, vae, conditioner


def bench_reference(ref, out, device, log, cases=((30, 256), (50, 384)), warmup=(30, 256)):
    """The reference pipeline end to end in fp16 on the v2-0 folder: conditioning + sampling (its
    __call__ with output_type='latent'), then what its _export does: the VAE's decoder, the dense
    VanillaVolumeDecoder (8000 queries a chunk) and MCSurfaceExtractor (scikit-image's Lewiner on
    the CPU). trimesh's export step is not timed (the stand-in has none)."""
    name, folder = "v2-0", os.path.join(out, FOLDERS["v2-0"])
    cfg = MODELS[name]
    model, vae, conditioner = load_folder(ref, name, folder, device)
    for module in (model, vae, conditioner):
        module.to(torch.float16)  # outside inference mode: the pipeline's own .to() is then a no-op
    prepared = ref.pre.ImageProcessorV2(512, border_ratio=0.15)(reference_image(os.path.join(folder, "reference.png")))["image"]
    results = []
    for steps, octree in (warmup,) + tuple(cases):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        t0 = time.perf_counter()
        with torch.inference_mode():
            latents = sample_latents(ref, cfg, model, vae, conditioner, prepared, device, torch.float16, steps)
            torch.cuda.synchronize()
            t1 = time.perf_counter()
            tokens = vae(1.0 / vae.scale_factor * latents)
            grid = vae.volume_decoder(tokens, vae.geo_decoder, bounds=1.01, num_chunks=8000,
                                      octree_resolution=octree, enable_pbar=False)
            torch.cuda.synchronize()
            t2 = time.perf_counter()
            mesh = vae.surface_extractor(grid, mc_level=0.0, bounds=1.01, octree_resolution=octree)[0]
            t3 = time.perf_counter()
        r = dict(side="reference", steps=steps, octree=octree, decoder="dense", diffusion_s=t1 - t0,
                 decoding_s=t2 - t1, marching_cubes_s=t3 - t2, total_s=t3 - t0,
                 peak_allocated_gib=torch.cuda.max_memory_allocated() / 2 ** 30,
                 peak_reserved_gib=torch.cuda.max_memory_reserved() / 2 ** 30,
                 vertices=len(mesh.mesh_v), faces=len(mesh.mesh_f), warmup=len(results) == 0)
        results.append(r)
        log("bench " + json.dumps(r))
        del latents, tokens, grid, mesh
    with open(os.path.join(out, "bench_reference.json"), "w") as f:
        json.dump(results, f, indent=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("--models", default="v2-0,v2-1,v2-mini,v2-0-turbo,v2-0-fast,v2-mv")
    ap.add_argument("--dtypes", default="fp32,fp16")
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--octree", default="256,384", help="the mesh rows' octree resolutions (v2-0, fp16)")
    ap.add_argument("--bench", action="store_true", help="time the reference pipeline on OUT's v2-0 folder")
    args = ap.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = False  # the fp32 rows are true fp32 on both sides
    torch.backends.cudnn.allow_tf32 = False
    ref = import_reference()
    os.makedirs(args.out, exist_ok=True)
    logf = open(os.path.join(args.out, "reference.log"), "a")

    def log(msg):
        print(msg, flush=True)
        logf.write(msg + "\n")
        logf.flush()

    log(f"torch {torch.__version__}, {torch.cuda.get_device_name(0)}")
    if args.bench:
        bench_reference(ref, args.out, "cuda", log)
        return
    for name in args.models.split(","):
        run_model(ref, name, args.out, "cuda", args.dtypes.split(","), args.steps,
                  tuple(int(r) for r in args.octree.split(",") if r), log)


if __name__ == "__main__":
    main()

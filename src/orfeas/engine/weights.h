// The tensors of a checkpoint by name, as the engine's modules take them at load time.
//
//   Weights all = Weights::from(std::move(named));           // or loaded: engine/checkpoint.h
//   Weights block = all.scope("model.double_blocks.3.");
//   ORFEAS_ASSIGN_OR_RETURN(at::Tensor w, block.take("img_attn.qkv.weight", {3 * 1024, 1024}));
//
// Modules fetch every tensor they need once, with its expected shape, when they are loaded, so a
// checkpoint that lacks a tensor or has one of the wrong shape is a clear error before anything
// runs, and forward passes never look names up.
//
// Thread-safety: immutable after construction; copies share the tensors.
#pragma once

#include <ATen/ATen.h>

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "orfeas/core/status.h"

namespace orfeas::engine {

class Weights {
 public:
  Weights() = default;
  [[nodiscard]] static Weights from(std::map<std::string, at::Tensor, std::less<>> tensors);

  // The names under `prefix` (appended to this view's own prefix).
  [[nodiscard]] Weights scope(std::string_view prefix) const;
  [[nodiscard]] const std::string& prefix() const { return prefix_; }

  [[nodiscard]] bool contains(std::string_view name) const;
  // The tensor `name` with exactly `shape`: kCorruptData naming it (with this view's prefix) when
  // it is missing or has another shape.
  [[nodiscard]] Result<at::Tensor> take(std::string_view name, at::IntArrayRef shape) const;
  // The tensor `name` whatever its shape (for tools that list or rewrite a checkpoint).
  [[nodiscard]] Result<at::Tensor> get(std::string_view name) const;
  // Names in this view, without the prefix, sorted.
  [[nodiscard]] std::vector<std::string> names() const;
  [[nodiscard]] std::size_t size() const { return names().size(); }

 private:
  std::shared_ptr<const std::map<std::string, at::Tensor, std::less<>>> tensors_;
  std::string prefix_;
};

}  // namespace orfeas::engine

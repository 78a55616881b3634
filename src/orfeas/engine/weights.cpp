#include "orfeas/engine/weights.h"

#include <sstream>
#include <utility>

namespace orfeas::engine {
namespace {

std::string shape_text(at::IntArrayRef shape) {
  std::ostringstream out;
  out << '[';
  for (std::size_t i = 0; i < shape.size(); ++i) out << (i == 0 ? "" : ", ") << shape[i];
  out << ']';
  return out.str();
}

}  // namespace

Weights Weights::from(std::map<std::string, at::Tensor, std::less<>> tensors) {
  Weights weights;
  weights.tensors_ = std::make_shared<const std::map<std::string, at::Tensor, std::less<>>>(std::move(tensors));
  return weights;
}

Weights Weights::scope(std::string_view prefix) const {
  Weights view = *this;
  view.prefix_ += prefix;
  return view;
}

bool Weights::contains(std::string_view name) const {
  return tensors_ != nullptr && tensors_->find(prefix_ + std::string(name)) != tensors_->end();
}

Result<at::Tensor> Weights::take(std::string_view name, at::IntArrayRef shape) const {
  const std::string full = prefix_ + std::string(name);
  if (tensors_ == nullptr) return make_error(ErrorCode::kCorruptData, "the checkpoint has no tensor " + full);
  const auto found = tensors_->find(full);
  if (found == tensors_->end()) return make_error(ErrorCode::kCorruptData, "the checkpoint has no tensor " + full);
  if (found->second.sizes() != shape)
    return make_error(ErrorCode::kCorruptData, "tensor " + full + " has shape " + shape_text(found->second.sizes()) +
                                                   ", the model needs " + shape_text(shape));
  return found->second;
}

Result<at::Tensor> Weights::get(std::string_view name) const {
  const std::string full = prefix_ + std::string(name);
  if (tensors_ != nullptr) {
    if (const auto found = tensors_->find(full); found != tensors_->end()) return found->second;
  }
  return make_error(ErrorCode::kCorruptData, "the checkpoint has no tensor " + full);
}

std::vector<std::string> Weights::names() const {
  std::vector<std::string> out;
  if (tensors_ == nullptr) return out;
  for (auto it = tensors_->lower_bound(prefix_); it != tensors_->end() && it->first.starts_with(prefix_); ++it)
    out.push_back(it->first.substr(prefix_.size()));
  return out;
}

}  // namespace orfeas::engine

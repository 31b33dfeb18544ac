// Helpers for propagating absl::Status values without boilerplate.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Returns from the enclosing function if `expr` (an absl::Status) is not OK.
#define FORYOU_RETURN_IF_ERROR(expr)            \
  do {                                          \
    ::absl::Status foryou_status_ = (expr);     \
    if (!foryou_status_.ok()) return foryou_status_; \
  } while (0)

#define FORYOU_CONCAT_INNER_(a, b) a##b
#define FORYOU_CONCAT_(a, b) FORYOU_CONCAT_INNER_(a, b)

// Declares/assigns `lhs` from an absl::StatusOr<T> expression, returning its status on error.
// Example:
//   FORYOU_ASSIGN_OR_RETURN(auto table, EmbeddingTable::ReadSnapshot(dir));
#define FORYOU_ASSIGN_OR_RETURN(lhs, expr) \
  FORYOU_ASSIGN_OR_RETURN_IMPL_(FORYOU_CONCAT_(foryou_statusor_, __LINE__), lhs, expr)
#define FORYOU_ASSIGN_OR_RETURN_IMPL_(var, lhs, expr) \
  auto var = (expr);                                  \
  if (!var.ok()) return var.status();                 \
  lhs = std::move(var).value()

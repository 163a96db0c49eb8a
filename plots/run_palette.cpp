#include "plots/run_palette.hpp"

#include <set>

#include "plots/run_trace.hpp"

namespace halflab {

namespace {
constexpr int kSlots = 10;  // runColor()'s palette
}  // namespace

QList<QColor> RunPalette::assign(const QStringList& shown_keys) {
  std::set<int> taken;
  QList<int> chosen;
  QList<int> pending;  // positions still without a slot
  for (int i = 0; i < shown_keys.size(); ++i) {
    const int slot = slotOf(shown_keys[i]);
    if (slot >= 0 && !taken.count(slot)) {
      taken.insert(slot);
      chosen << slot;
    } else {
      chosen << -1;
      pending << i;
    }
  }
  for (int i : pending) {
    int best = -1;
    for (int s = 0; s < kSlots; ++s) {
      if (taken.count(s)) continue;
      const auto it = last_used_.find(s);
      const std::uint64_t when = it == last_used_.end() ? 0 : it->second;
      if (best < 0 || when < last_used_[best]) best = s;
    }
    if (best < 0) best = i % kSlots;  // more runs than colours: repeat
    taken.insert(best);
    chosen[i] = best;
    slots_[shown_keys[i]] = best;
    last_used_[best] = ++clock_;
  }
  QList<QColor> colors;
  for (int s : chosen) colors << runColor(s);
  return colors;
}

void RunPalette::alias(const QString& key, const QString& same_as) {
  const int slot = slotOf(same_as);
  if (slot >= 0) slots_[key] = slot;
}

int RunPalette::slotOf(const QString& key) const {
  const auto it = slots_.find(key);
  return it == slots_.end() ? -1 : it->second;
}

}  // namespace halflab

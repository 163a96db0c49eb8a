#pragma once
// Gives every run one colour for its whole life. Colours are keyed by the run's identity
// (a trace's key: the store id, or the live key while it trains) instead of its position
// among the runs shown, so an A/B arm that finishes, a new run that starts or a change of
// selection never repaints a run that is already on screen.
#include <cstdint>
#include <map>

#include <QColor>
#include <QList>
#include <QString>

namespace halflab {

class RunPalette {
 public:
  // The colour of each key, in order, for keys shown together: a key keeps the slot it
  // had unless an earlier key in the list holds it now; a new key (or one that lost its
  // slot) takes the free slot used least recently.
  QList<QColor> assign(const QStringList& shown_keys);
  // `key` is the same run as `same_as` (the stored run a live trace became): it gets the
  // same slot.
  void alias(const QString& key, const QString& same_as);
  // The slot of a key, -1 when it never had one.
  int slotOf(const QString& key) const;

 private:
  std::map<QString, int> slots_;
  std::map<int, std::uint64_t> last_used_;  // slot -> when it was last given out
  std::uint64_t clock_ = 0;
};

}  // namespace halflab

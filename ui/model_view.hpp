#pragma once
// The model section: the configured model's node list as an editable table (name, op,
// inputs, attributes) and beside it the summary `halflab-cli model show` prints (output
// shape, parameters, forward FLOPs, memory in every precision mode). A preset's expansion
// is shown as it will run; edited rows are applied as model.layers, and every problem is
// listed with its path ("model.layers[3].units: must be >= 1"), as a run would report it.
#include <optional>
#include <string>
#include <vector>

#include <QWidget>

#include "engine/model/node_spec.hpp"
#include "engine/train/run_config.hpp"
#include "engine/train/sample_shape.hpp"

class QLabel;
class QPushButton;
class QTableWidget;

namespace halflab {

class ModelView : public QWidget {
  Q_OBJECT
 public:
  explicit ModelView(QWidget* parent = nullptr);

  // Shows the model of `cfg`. Unapplied table edits are kept while only other sections
  // change; a different model (another preset, other widths) replaces them.
  void showConfig(const RunConfig& cfg);
  // Checks the table; when every row is valid emits layersApplied and returns true,
  // otherwise lists the problems and returns false.
  bool applyEdits();
  void revertEdits();

  QTableWidget* layerTable() const { return layers_; }
  QTableWidget* summaryTable() const { return summary_; }
  QString statusText() const;
  bool hasUnappliedEdits() const { return dirty_; }
  // Reads the data in the background to learn its sample shape (image folders, CSV text).
  void readDataShape();

  // Table columns.
  enum LayerColumn { kName = 0, kOp, kInputs, kAttrs, kLayerColumns };

 signals:
  // The table's rows as an expanded model.layers list, ready for RunConfig::model.layers.
  void layersApplied(const std::vector<NodeSpec>& nodes);

 private:
  void replan();
  void fillLayers(const std::vector<NodeSpec>& nodes);
  void showStatus(const QStringList& lines, bool error);
  void setDirty(bool dirty);
  void addRow();
  void removeRows();
  void moveRow(int delta);
  // The table as a JSON list in model.layers syntax; problems reading a cell go to `problems`.
  nlohmann::json tableAsJson(QStringList& problems) const;
  std::string sampleKey(const RunConfig& cfg) const;

  RunConfig config_;
  std::string shown_model_;            // the model JSON the table was filled from
  std::optional<SampleInfo> sample_;
  std::string sample_key_;             // the dataset settings sample_ belongs to
  bool dirty_ = false;
  bool filling_ = false;
  bool reading_ = false;

  QTableWidget* layers_ = nullptr;
  QTableWidget* summary_ = nullptr;
  QLabel* status_ = nullptr;
  QPushButton* apply_ = nullptr;
  QPushButton* revert_ = nullptr;
  QPushButton* read_data_ = nullptr;
};

}  // namespace halflab

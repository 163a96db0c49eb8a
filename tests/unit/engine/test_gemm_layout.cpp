// The row-major -> column-major mapping the CUDA backend hands to cuBLASLt, checked on
// the CPU: a reference column-major GEMM that reads the same layouts (rows, cols, ld,
// transpose flags) cuBLASLt would read must produce the row-major product, for every
// transposition the engine uses (forward y = x W^T, dW = dY^T X, dX = dY W).
#include <QtTest>

#include <random>
#include <vector>

#include "engine/backend/cuda/gemm_layout.hpp"

using namespace halflab::cuda;

namespace {

// X(i, j) of a column-major matrix, or of its transpose.
float at(const std::vector<float>& x, const ColumnMajorMatrix& m, bool transposed, std::int64_t i, std::int64_t j) {
  return transposed ? x[static_cast<std::size_t>(j + i * m.ld)] : x[static_cast<std::size_t>(i + j * m.ld)];
}

}  // namespace

class TestGemmLayout : public QObject {
  Q_OBJECT

 private slots:
  void columnMajorViewComputesTheRowMajorProduct_data() {
    QTest::addColumn<bool>("ta");
    QTest::addColumn<bool>("tb");
    QTest::newRow("x W^T (forward)") << false << true;
    QTest::newRow("dY^T X (weight grad)") << true << false;
    QTest::newRow("dY W (input grad)") << false << false;
    QTest::newRow("both transposed") << true << true;
  }

  void columnMajorViewComputesTheRowMajorProduct() {
    QFETCH(bool, ta);
    QFETCH(bool, tb);
    const std::int64_t m = 3, n = 5, k = 4;  // all different: a swapped dimension shows
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> small(-4, 4);
    std::vector<float> a(m * k), b(k * n);
    for (auto& v : a) v = static_cast<float>(small(rng));
    for (auto& v : b) v = static_cast<float>(small(rng));
    // Row-major reference. A is stored [M,K] (or [K,M] when ta), B [K,N] (or [N,K] when tb).
    auto A = [&](std::int64_t i, std::int64_t p) { return ta ? a[p * m + i] : a[i * k + p]; };
    auto B = [&](std::int64_t p, std::int64_t j) { return tb ? b[j * k + p] : b[p * n + j]; };
    std::vector<float> want(m * n, 0.0f);
    for (std::int64_t i = 0; i < m; ++i)
      for (std::int64_t j = 0; j < n; ++j)
        for (std::int64_t p = 0; p < k; ++p) want[i * n + j] += A(i, p) * B(p, j);

    // What cuBLASLt computes from the layouts: D = op(first) op(second), column-major.
    const GemmLayout g = gemmLayoutFor(ta, tb, m, n, k);
    const std::int64_t op_first_rows = g.transpose_first ? g.first.cols : g.first.rows;
    const std::int64_t op_first_cols = g.transpose_first ? g.first.rows : g.first.cols;
    const std::int64_t op_second_rows = g.transpose_second ? g.second.cols : g.second.rows;
    const std::int64_t op_second_cols = g.transpose_second ? g.second.rows : g.second.cols;
    QCOMPARE(op_first_rows, g.out.rows);
    QCOMPARE(op_first_cols, op_second_rows);
    QCOMPARE(op_second_cols, g.out.cols);
    QVERIFY(g.first.ld >= g.first.rows && g.second.ld >= g.second.rows && g.out.ld >= g.out.rows);
    QCOMPARE(g.first.rows * g.first.cols, k * n);   // the whole of B, nothing more
    QCOMPARE(g.second.rows * g.second.cols, m * k);  // the whole of A
    std::vector<float> got(m * n, 0.0f);
    for (std::int64_t i = 0; i < g.out.rows; ++i)
      for (std::int64_t j = 0; j < g.out.cols; ++j) {
        float acc = 0.0f;
        for (std::int64_t p = 0; p < op_first_cols; ++p)
          acc += at(b, g.first, g.transpose_first, i, p) * at(a, g.second, g.transpose_second, p, j);
        got[static_cast<std::size_t>(i + j * g.out.ld)] = acc;
      }
    for (std::size_t i = 0; i < want.size(); ++i) QCOMPARE(got[i], want[i]);
  }
};

QTEST_GUILESS_MAIN(TestGemmLayout)
#include "test_gemm_layout.moc"

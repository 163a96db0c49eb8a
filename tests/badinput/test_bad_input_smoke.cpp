// The matrix runner itself: a case that must pass and the "full disk" limit reaching the child.
#include "cli_case.hpp"

using halflab::test::CliCase;

namespace {

std::vector<CliCase> table() {
  return {
      {.name = "help", .args = {"--help"}, .exit_code = 0, .message = "halflab-cli"},
      {.name = "runs list on a store that does not exist",
       .args = {"runs", "--db", "{dir}/s.sqlite", "list"},
       .exit_code = 1,
       .message = "s\\.sqlite: no such run store",
       .after = [](const QString& dir, const halflab::test::CliRun&) {
         QVERIFY2(!QFile::exists(dir + "/s.sqlite"), "a reader must not create the store");
       }},
  };
}

}  // namespace

class TestBadInputSmoke : public QObject {
  Q_OBJECT
 private slots:
  HALFLAB_CLI_CASES(table)
};

QTEST_GUILESS_MAIN(TestBadInputSmoke)
#include "test_bad_input_smoke.moc"

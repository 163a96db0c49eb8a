// Config JSON from untrusted text is bounded: nesting is limited while parsing (dumping
// 100000 nested arrays into an error message used to overflow the stack), and values,
// keys and parse errors quoted in messages are cut to a few dozen characters.
#include <QtTest>

#include <string>

#include "engine/json/bounded_json.hpp"
#include "engine/train/run_config.hpp"

using namespace halflab;
using nlohmann::json;

namespace {

std::string configErrorOf(const std::string& text) {
  try {
    RunConfig::fromJsonText(text);
  } catch (const ConfigError& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("<not a ConfigError: ") + e.what() + ">";
  }
  return "<no error>";
}

std::string nested(int depth, const std::string& inner = "") {
  return std::string(static_cast<std::size_t>(depth), '[') + inner + std::string(static_cast<std::size_t>(depth), ']');
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

class TestConfigJsonBounds : public QObject {
  Q_OBJECT

 private slots:
  void deepNestingIsRefusedWhileParsing() {
    const std::string msg = configErrorOf("{\"model\":{\"hidden\":" + nested(100000) + "}}");
    QCOMPARE(QString::fromStdString(msg),
             QString("invalid config: the JSON is nested deeper than 64 levels of arrays and objects"));
    QVERIFY_THROWS_EXCEPTION(JsonTooDeep, parseBoundedJson(nested(kMaxJsonDepth + 2)));
    QVERIFY(parseBoundedJsonOrDiscarded(nested(100000)).is_discarded());
    QVERIFY(parseBoundedJsonOrDiscarded("{nope").is_discarded());
    // Anything a real document needs still parses.
    QCOMPARE(parseBoundedJson(nested(kMaxJsonDepth - 1, "1")).dump().size(), std::size_t{2 * (kMaxJsonDepth - 1) + 1});
  }

  void valuesInMessagesAreCut() {
    // A wrong-typed value: deep (built in code, not parsed) and huge.
    json deep = json::array();
    for (int i = 0; i < 100000; ++i) deep = json::array({std::move(deep)});
    const std::string brief = jsonForMessage(deep);
    QVERIFY2(brief.size() <= kMessageValueChars + 4 && brief.rfind("[[[[", 0) == 0, brief.c_str());
    QCOMPARE(QString::fromStdString(jsonForMessage(json::parse("{\"a\":[1,2.5,\"x\"],\"b\":null}"))),
             QString("{\"a\":[1,2.5,\"x\"],\"b\":null}"));

    const std::string huge(100000, 'x');
    std::string msg = configErrorOf("{\"model\":{\"hidden\":\"" + huge + "\"}}");
    QVERIFY2(contains(msg, "model.hidden: expected a list of whole numbers (got \"xxxx") && contains(msg, "…)") &&
                 msg.size() < 200,
             msg.c_str());
    msg = configErrorOf("{\"model\":{\"activation\":\"" + huge + "\"}}");
    QVERIFY2(contains(msg, "model.activation: unknown activation 'xxxx") && msg.size() < 250, msg.c_str());
    msg = configErrorOf("{\"training\":{\"" + huge + "\":1}}");
    QVERIFY2(contains(msg, "training.xxxx") && contains(msg, "…: unknown field") && msg.size() < 200, msg.c_str());
    msg = configErrorOf("{\"" + huge + "\":{}}");
    QVERIFY2(contains(msg, "…: unknown section") && msg.size() < 200, msg.c_str());
  }

  void parseErrorsAreCut() {
    // nlohmann quotes the whole offending token, here a megabyte-long unterminated string.
    const std::string msg = configErrorOf("{\"name\": \"" + std::string(1 << 20, 'y'));
    QVERIFY2(contains(msg, "invalid config: not valid JSON: parse error at line 1") && !contains(msg, "[json.exception") &&
                 msg.size() < 250,
             msg.c_str());
  }

  void numbersBeyondDoubleAreConfigErrors() {
    // nlohmann reports these as out_of_range, not parse_error (found by fuzz_config).
    const std::string msg = configErrorOf("{\"model\":111111111111111E11111111}");
    QCOMPARE(QString::fromStdString(msg),
             QString("invalid config: not valid JSON: number overflow parsing '111111111111111E11111111'"));
  }

  void cuttingKeepsWholeCharacters() {
    QCOMPARE(QString::fromStdString(cutForMessage("short")), QString("short"));
    const std::string accents(100, 'a');
    const std::string text = std::string(59, 'a') + "é" + accents;  // é is 2 bytes: 59..60
    const std::string cut = cutForMessage(text);
    QCOMPARE(QString::fromStdString(cut), QString::fromStdString(std::string(59, 'a') + "…"));
  }
};

QTEST_APPLESS_MAIN(TestConfigJsonBounds)
#include "test_config_json_bounds.moc"

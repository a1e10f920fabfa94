// Folds room event frames with the page's own fold (web/js/state.js) and prints the state.
//
// stdin: {"vocabulary": <GET /config's vocabulary>, "logs": [[frame, ...], ...]}
// stdout: [state after the last frame of each log, ...] as JSON
// Used by tests/integration/test_web_fold.py to check the page's fold against domain/room.py.

import { readFileSync } from "node:fs";

import { applyEvent } from "../../web/js/state.js";
import { useVocabulary } from "../../web/js/vocabulary.js";

const input = JSON.parse(readFileSync(0, "utf8"));
useVocabulary(input.vocabulary);
const states = input.logs.map((frames) => frames.reduce(applyEvent, null));
process.stdout.write(JSON.stringify(states));

import { candidateKind, conformanceSuite } from './conformance-suite.ts';

// CONFORMANCE_CANDIDATE=alertmanager runs Alertmanager against itself: a check of the harness.
conformanceSuite(' (memory store)', candidateKind(process.env.CONFORMANCE_CANDIDATE));

import type { FlagDocument, SegmentDocument } from '@switchboard/core';
import { validateFlag, validateSegment } from '@switchboard/core';
import type { FieldPath, ParsedFlagsFile } from './flags-file';
import { pointerSteps } from './pointer';

interface LocatedProblem {
  path: FieldPath;
  problem: string;
}

/**
 * Checks every flag and segment of the file with core's validation (the server's rules) before anything
 * is sent, against the file's own flags and segments, since the file is the desired state. Throws the
 * first problem, located by line and field, and counts the rest.
 */
export function validateFlagsFile(file: ParsedFlagsFile): void {
  const { flags, segments } = file.value;
  // Items without a base version are new; core's schema wants a version, which plays no part here.
  const flagDocuments = flags.map((flag): FlagDocument => ({ ...flag, version: flag.version ?? 0 }));
  const refs = {
    segments: new Set(segments.map((segment) => segment.key)),
    flags: new Map(flagDocuments.map((flag) => [flag.key, flag])),
  };
  const problems: LocatedProblem[] = [
    ...segments.flatMap((segment) =>
      validateSegment({ ...segment, version: segment.version ?? 0 } as SegmentDocument).map(
        ({ path, problem }) => ({
          path: ['segments', segment.key, ...pointerSteps(path)],
          problem,
        }),
      ),
    ),
    ...flagDocuments.flatMap((flag) =>
      validateFlag(flag, refs).map(({ path, problem }) => ({
        path: ['flags', flag.key, ...pointerSteps(path)],
        problem,
      })),
    ),
  ];
  const [first] = problems;
  if (!first) return;
  const more = problems.length - 1;
  throw file.errorAt(
    first.path,
    more > 0 ? `${first.problem} (and ${more} more problem${more > 1 ? 's' : ''})` : first.problem,
  );
}

import type { Parameters, ParametersParameter } from '@medplum/fhirtypes';
import { PDF_ONLY_CODE } from '../../documents/pdf-only.js';
import { pdfOnlyCounts } from '../../documents/record-store.js';
import { CARNET_DATA_QUALITY } from '../code-systems.js';
import { errors } from '../outcomes.js';
import type { Handler } from '../router/types.js';
import { searchRegistry } from '../search/registry.js';

/**
 * GET $pdf-only-report — how many results arrived as a PDF only (tagged `pdf-only`, CARNET_DATA_QUALITY),
 * per source organisation and type, so that each sender can be told. Counts only, no patient data;
 * administrators, privacy officers and platform clients (route policy `dataQualityReview`).
 */
export const pdfOnlyReport: Handler = async ({ reader, request }) => {
  for (const name of request.query.keys()) if (!['_format', '_pretty'].includes(name)) throw errors.invalid(`$pdf-only-report does not take the parameter "${name}"`);
  const registry = searchRegistry();
  const tags = ['DiagnosticReport', 'DocumentReference'].map((t) => registry.param(t, '_tag')?.key).filter((k): k is number => k !== undefined);
  const counts = await pdfOnlyCounts(reader, { tags, organization: registry.param('Patient', 'organization')?.key ?? 0 }, CARNET_DATA_QUALITY, PDF_ONLY_CODE);
  const bySource = new Map<string, { type: string; count: number }[]>();
  for (const c of counts) bySource.set(c.source ?? '', [...(bySource.get(c.source ?? '') ?? []), { type: c.resourceType, count: c.count }]);
  const parameter: ParametersParameter[] = [{ name: 'total', valueInteger: counts.reduce((n, c) => n + c.count, 0) }];
  for (const [source, types] of bySource) {
    parameter.push({
      name: 'source',
      part: [
        ...(source ? [{ name: 'organization', valueReference: { reference: source } }] : [{ name: 'organization', valueString: 'unknown' }]),
        { name: 'count', valueInteger: types.reduce((n, t) => n + t.count, 0) },
        ...types.map((t) => ({ name: 'type', part: [{ name: 'resourceType', valueCode: t.type }, { name: 'count', valueInteger: t.count }] })),
      ],
    });
  }
  return { status: 200, body: { resourceType: 'Parameters', parameter } satisfies Parameters };
};

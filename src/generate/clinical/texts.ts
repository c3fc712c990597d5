import type { Random } from '../random.js';

/**
 * The words of reports and notes (pure): discharge summaries, consultation notes and imaging conclusions,
 * in French, or in English where the institution writes in English. Plain clinical prose, built from a few
 * templates and the person's real conditions, drugs and results, so a reader sees a coherent story.
 */

export type Lang = 'fr' | 'en';

export interface Section {
  readonly title: string;
  readonly text: string;
}

const list = (items: readonly string[], lang: Lang): string => {
  if (items.length === 0) return lang === 'fr' ? 'aucun' : 'none';
  if (items.length === 1) return items[0] as string;
  return `${items.slice(0, -1).join(', ')} ${lang === 'fr' ? 'et' : 'and'} ${items[items.length - 1]}`;
};

export interface DischargeFacts {
  readonly reason: 'heartFailure' | 'copd' | 'pneumonia' | 'terminal';
  readonly age: number;
  readonly female: boolean;
  readonly days: number;
  readonly history: readonly string[];
  readonly drugs: readonly string[];
  readonly died: boolean;
  readonly doctor: string;
}

export function dischargeSummary(rng: Random, facts: DischargeFacts, lang: Lang): Section[] {
  const who = lang === 'fr'
    ? `${facts.female ? 'Patiente' : 'Patient'} de ${facts.age} ans`
    : `${facts.age}-year-old ${facts.female ? 'woman' : 'man'}`;
  const reasons: Record<DischargeFacts['reason'], [string, string, string, string]> = {
    heartFailure: [
      'décompensation d’insuffisance cardiaque',
      `Dyspnée progressive depuis ${rng.int(3, 10)} jours, orthopnée et œdème des membres inférieurs. Radiographie pulmonaire : redistribution vasculaire et épanchements pleuraux bilatéraux.`,
      'heart failure exacerbation',
      `Progressive shortness of breath for ${rng.int(3, 10)} days, orthopnea and leg oedema. Chest X-ray: vascular redistribution and bilateral pleural effusions.`,
    ],
    copd: [
      'exacerbation aiguë de MPOC',
      'Augmentation de la dyspnée et des expectorations purulentes depuis une infection des voies respiratoires supérieures. SpO2 à 86 % à l’air ambiant à l’arrivée.',
      'acute exacerbation of COPD',
      'Increased dyspnea and purulent sputum after an upper respiratory tract infection. SpO2 86% on room air on arrival.',
    ],
    pneumonia: [
      'pneumonie acquise en communauté',
      'Fièvre, toux productive et douleur pleurétique droite. Consolidation lobaire inférieure droite à la radiographie.',
      'community-acquired pneumonia',
      'Fever, productive cough and right pleuritic pain. Right lower lobe consolidation on chest X-ray.',
    ],
    terminal: [
      'détérioration de l’état général',
      'Perte d’autonomie progressive, apport oral diminué et atteinte de l’état de conscience. Niveau de soins discuté avec la famille : soins de confort.',
      'general deterioration',
      'Progressive loss of autonomy, poor oral intake and decreased level of consciousness. Goals of care discussed with the family: comfort care.',
    ],
  };
  const [reasonFr, storyFr, reasonEn, storyEn] = reasons[facts.reason];
  if (lang === 'en') {
    return [
      { title: 'Reason for admission', text: `${who} admitted for ${reasonEn}. ${storyEn}` },
      { title: 'Past medical history', text: `Known for ${list(facts.history, 'en')}.` },
      {
        title: 'Hospital course',
        text: facts.died
          ? `Despite treatment the patient's condition deteriorated. Comfort care was provided and the patient died peacefully on day ${facts.days} of the stay, with family present.`
          : `Treated with ${facts.reason === 'heartFailure' ? 'intravenous furosemide with good diuresis (weight down 3 kg)' : facts.reason === 'copd' ? 'bronchodilators, prednisone 40 mg for 5 days and antibiotics' : 'antibiotics, with defervescence in 48 hours'}. Discharged home after ${facts.days} days, clinically improved.`,
      },
      ...(facts.died ? [] : [
        { title: 'Discharge medications', text: `${list(facts.drugs, 'en')}.` },
        { title: 'Follow-up', text: 'Follow-up with the family physician within 7 to 14 days. Blood work (creatinine, electrolytes) in one week.' },
      ]),
      { title: 'Signed', text: facts.doctor },
    ];
  }
  return [
    { title: 'Motif d’admission', text: `${who} admise pour ${reasonFr}. ${storyFr}`.replace(' admise ', facts.female ? ' admise ' : ' admis ') },
    { title: 'Antécédents', text: `Connue pour ${list(facts.history, 'fr')}.`.replace('Connue', facts.female ? 'Connue' : 'Connu') },
    {
      title: 'Évolution',
      text: facts.died
        ? `Malgré le traitement, l’état s’est détérioré. Des soins de confort ont été prodigués; décès paisible au jour ${facts.days} du séjour, en présence de la famille.`
        : `Traitement par ${facts.reason === 'heartFailure' ? 'furosémide intraveineux avec bonne réponse diurétique (perte de 3 kg)' : facts.reason === 'copd' ? 'bronchodilatateurs, prednisone 40 mg pour 5 jours et antibiothérapie' : 'antibiothérapie, avec défervescence en 48 heures'}. Congé à domicile après ${facts.days} jours, état amélioré.`,
    },
    ...(facts.died ? [] : [
      { title: 'Médication au départ', text: `${list(facts.drugs, 'fr')}.` },
      { title: 'Suivi', text: 'Suivi avec le médecin de famille d’ici 7 à 14 jours. Bilan sanguin (créatinine, électrolytes) dans une semaine.' },
    ]),
    { title: 'Signature', text: facts.doctor },
  ];
}

export type ConsultKind = 'nephrology' | 'cardiology' | 'psychiatry' | 'addiction' | 'endocrinology' | 'pulmonology';

export interface ConsultFacts {
  readonly kind: ConsultKind;
  readonly age: number;
  readonly female: boolean;
  readonly history: readonly string[];
  readonly drugs: readonly string[];
  readonly findings: string;
  readonly doctor: string;
  readonly referrer: string;
}

const CONSULT: Record<ConsultKind, { fr: [string, string, string]; en: [string, string, string] }> = {
  nephrology: {
    fr: ['Néphrologie', 'baisse progressive du débit de filtration glomérulaire', 'Insuffisance rénale chronique stable. Viser une pression artérielle sous 130/80, éviter les AINS, ajuster les doses des médicaments à la fonction rénale. Contrôle de la créatinine et du rapport albumine/créatinine aux 6 mois.'],
    en: ['Nephrology', 'progressive decline of the glomerular filtration rate', 'Stable chronic kidney disease. Target blood pressure below 130/80, avoid NSAIDs, adjust drug doses to renal function. Creatinine and urine albumin/creatinine ratio every 6 months.'],
  },
  cardiology: {
    fr: ['Cardiologie', 'dyspnée d’effort et œdème des membres inférieurs', 'Insuffisance cardiaque à fraction d’éjection réduite (FEVG estimée à 35 %). Optimiser le traitement : bêtabloquant, sacubitril-valsartan, diurétique selon le poids. Échographie cardiaque de contrôle dans 6 mois.'],
    en: ['Cardiology', 'exertional dyspnea and leg oedema', 'Heart failure with reduced ejection fraction (LVEF estimated at 35%). Optimise therapy: beta-blocker, sacubitril-valsartan, diuretic according to weight. Repeat echocardiogram in 6 months.'],
  },
  psychiatry: {
    fr: ['Psychiatrie', 'humeur dépressive persistante malgré le traitement', 'Épisode dépressif caractérisé d’intensité modérée, sans idéation suicidaire active. Poursuivre l’antidépresseur à dose optimale, psychothérapie cognitivo-comportementale recommandée. Réévaluation dans 8 semaines.'],
    en: ['Psychiatry', 'persistent depressed mood despite treatment', 'Major depressive episode of moderate severity, no active suicidal ideation. Continue the antidepressant at optimal dose; cognitive behavioural therapy recommended. Reassess in 8 weeks.'],
  },
  addiction: {
    fr: ['Médecine des toxicomanies', 'consommation problématique', 'Trouble lié à l’usage d’une substance, modéré à sévère. Entretien motivationnel réalisé; plan de traitement pharmacologique discuté et accepté. Référence au programme de réadaptation du CISSS. Suivi dans 4 semaines.'],
    en: ['Addiction medicine', 'problematic substance use', 'Moderate to severe substance use disorder. Motivational interviewing done; pharmacological treatment plan discussed and accepted. Referred to the rehabilitation programme. Follow-up in 4 weeks.'],
  },
  endocrinology: {
    fr: ['Endocrinologie', 'diabète de type 2 sous-optimalement contrôlé', 'Diabète de type 2 avec HbA1c au-dessus de la cible. Intensification du traitement proposée (inhibiteur du SGLT2), enseignement sur l’autosurveillance glycémique. Suivi de l’HbA1c dans 3 mois.'],
    en: ['Endocrinology', 'suboptimally controlled type 2 diabetes', 'Type 2 diabetes with HbA1c above target. Treatment intensification proposed (SGLT2 inhibitor), teaching on self-monitoring of blood glucose. HbA1c again in 3 months.'],
  },
  pulmonology: {
    fr: ['Pneumologie', 'dyspnée chronique et exacerbations répétées', 'MPOC modérée (GOLD 2). Poursuivre le bronchodilatateur à longue action, technique d’inhalation revue, réadaptation pulmonaire recommandée, vaccination à jour. Cessation tabagique encouragée.'],
    en: ['Respirology', 'chronic dyspnea and repeated exacerbations', 'Moderate COPD (GOLD 2). Continue the long-acting bronchodilator, inhaler technique reviewed, pulmonary rehabilitation recommended, vaccines up to date. Smoking cessation encouraged.'],
  },
};

export function consultTitle(kind: ConsultKind, lang: Lang): string {
  return lang === 'fr' ? `Consultation en ${CONSULT[kind].fr[0].toLowerCase()}` : `${CONSULT[kind].en[0]} consultation`;
}

export function consultNote(facts: ConsultFacts, lang: Lang): string {
  const [specialty, reason, plan] = CONSULT[facts.kind][lang];
  if (lang === 'en') {
    return [
      `${specialty.toUpperCase()} CONSULTATION`,
      `Referred by ${facts.referrer} for ${reason}.`,
      `${facts.age}-year-old ${facts.female ? 'woman' : 'man'} known for ${list(facts.history, 'en')}.`,
      `Current medications: ${list(facts.drugs, 'en')}.`,
      `Findings: ${facts.findings}`,
      `Impression and plan: ${plan}`,
      facts.doctor,
    ].join('\n\n');
  }
  return [
    `CONSULTATION — ${specialty.toUpperCase()}`,
    `${facts.female ? 'Patiente référée' : 'Patient référé'} par ${facts.referrer} pour ${reason}.`,
    `${facts.female ? 'Femme' : 'Homme'} de ${facts.age} ans ${facts.female ? 'connue' : 'connu'} pour ${list(facts.history, 'fr')}.`,
    `Médication actuelle : ${list(facts.drugs, 'fr')}.`,
    `Examen et résultats : ${facts.findings}`,
    `Impression et plan : ${plan}`,
    facts.doctor,
  ].join('\n\n');
}

export type ImagingKind = 'chestXray' | 'chestXrayHeartFailure' | 'mammography' | 'chestCt' | 'kneeXray';

/** An imaging report's conclusion (French; English at the Jewish General Hospital). */
export function imagingConclusion(rng: Random, kind: ImagingKind, lang: Lang): { title: string; conclusion: string; normal: boolean } {
  const normal = rng.chance(kind === 'mammography' ? 0.92 : kind === 'chestCt' ? 0.7 : 0.55);
  const texts: Record<ImagingKind, { fr: [string, string, string]; en: [string, string, string] }> = {
    chestXray: {
      fr: ['Radiographie pulmonaire PA et latérale', 'Poumons bien aérés. Pas de condensation, d’épanchement ni de pneumothorax. Silhouette cardiomédiastinale dans les limites de la normale.', 'Hyperinflation pulmonaire et aplatissement des coupoles diaphragmatiques compatibles avec une MPOC. Pas de condensation focale.'],
      en: ['Chest X-ray PA and lateral', 'Lungs are clear. No consolidation, effusion or pneumothorax. Normal cardiomediastinal silhouette.', 'Hyperinflated lungs with flattened hemidiaphragms, consistent with COPD. No focal consolidation.'],
    },
    chestXrayHeartFailure: {
      fr: ['Radiographie pulmonaire', 'Silhouette cardiaque à la limite supérieure de la normale. Pas de signe de surcharge.', 'Cardiomégalie. Redistribution vasculaire vers les sommets et petits épanchements pleuraux bilatéraux, compatibles avec une surcharge volémique.'],
      en: ['Chest X-ray', 'Heart size at the upper limit of normal. No sign of fluid overload.', 'Cardiomegaly. Upper lobe vascular redistribution and small bilateral pleural effusions, consistent with fluid overload.'],
    },
    mammography: {
      fr: ['Mammographie de dépistage bilatérale (PQDCS)', 'Seins de densité hétérogène. Aucune masse, distorsion architecturale ni microcalcification suspecte. BI-RADS 1 : examen négatif. Prochain dépistage dans 2 ans.', 'Asymétrie focale au quadrant supéro-externe du sein gauche. BI-RADS 0 : évaluation incomplète, compléments d’imagerie recommandés.'],
      en: ['Bilateral screening mammogram', 'Heterogeneously dense breasts. No mass, architectural distortion or suspicious calcification. BI-RADS 1: negative. Next screening in 2 years.', 'Focal asymmetry in the upper outer quadrant of the left breast. BI-RADS 0: incomplete, additional imaging recommended.'],
    },
    chestCt: {
      fr: ['Tomodensitométrie thoracique à faible dose (dépistage du cancer du poumon)', 'Emphysème centrolobulaire léger. Aucun nodule pulmonaire significatif. Lung-RADS 1.', 'Nodule solide de 6 mm au lobe supérieur droit. Lung-RADS 3 : contrôle par tomodensitométrie dans 6 mois.'],
      en: ['Low-dose chest CT (lung cancer screening)', 'Mild centrilobular emphysema. No significant pulmonary nodule. Lung-RADS 1.', 'Solid 6 mm nodule in the right upper lobe. Lung-RADS 3: follow-up CT in 6 months.'],
    },
    kneeXray: {
      fr: ['Radiographie du genou en charge', 'Interlignes articulaires préservés. Pas de lésion osseuse.', 'Pincement de l’interligne fémoro-tibial interne, ostéophytes marginaux et sclérose sous-chondrale : gonarthrose modérée.'],
      en: ['Weight-bearing knee X-ray', 'Joint spaces preserved. No bone lesion.', 'Medial femorotibial joint space narrowing, marginal osteophytes and subchondral sclerosis: moderate osteoarthritis.'],
    },
  };
  const [title, ok, abnormal] = texts[kind][lang];
  // Imaging done for a known disease usually shows it.
  const showsDisease = kind === 'kneeXray' || kind === 'chestXrayHeartFailure' ? !rng.chance(0.2) : !normal;
  return { title, conclusion: showsDisease ? abnormal : ok, normal: !showsDisease };
}

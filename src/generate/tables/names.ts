/**
 * Names of Québec (facts, no frequencies reproduced).
 *
 * Sources: given names by birth decade follow the lists of popular first names published by Retraite
 * Québec ("Banque de prénoms", births registered in Québec since 1980) and, for earlier decades, names
 * common in the Registre de l'état civil era as reported by the Institut de la statistique du Québec (ISQ);
 * surnames are among the most frequent in Québec according to the ISQ ("Les noms de famille au Québec"),
 * plus surnames of English-speaking and immigrant communities of Montréal. Compound given names
 * (Marie-Ève, Jean-François) and names with apostrophes (O'Brien, D'Amour) are real Québec usage.
 */

export type Era = 'before1950' | '1950s' | '1960s' | '1970s' | '1980s' | '1990s' | '2000s' | '2010s';

export function eraOf(birthYear: number): Era {
  if (birthYear < 1950) return 'before1950';
  if (birthYear < 1960) return '1950s';
  if (birthYear < 1970) return '1960s';
  if (birthYear < 1980) return '1970s';
  if (birthYear < 1990) return '1980s';
  if (birthYear < 2000) return '1990s';
  if (birthYear < 2010) return '2000s';
  return '2010s';
}

type ByEra = Readonly<Record<Era, readonly string[]>>;

export const FRENCH_GIVEN_FEMALE: ByEra = {
  before1950: ['Thérèse', 'Jeannine', 'Rita', 'Gisèle', 'Pierrette', 'Jacqueline', 'Yvette', 'Simone', 'Rolande', 'Cécile', 'Madeleine', 'Marie-Paule', 'Georgette', 'Lucienne', 'Gertrude'],
  '1950s': ['Monique', 'Lise', 'Nicole', 'Francine', 'Diane', 'Louise', 'Huguette', 'Micheline', 'Denise', 'Ginette', 'Carole', 'Suzanne', 'Claudette', 'Raymonde', 'Marie-Claire'],
  '1960s': ['Sylvie', 'Johanne', 'Chantal', 'Manon', 'Line', 'Lucie', 'Danielle', 'Josée', 'Marie-France', 'Lyne', 'Martine', 'Brigitte', 'Carole', 'Hélène', 'France'],
  '1970s': ['Nathalie', 'Isabelle', 'Julie', 'Annie', 'Marie-Claude', 'Marie-Josée', 'Sophie', 'Caroline', 'Valérie', 'Karine', 'Geneviève', 'Mélanie', 'Marie-Hélène', 'Véronique', 'Stéphanie'],
  '1980s': ['Mélissa', 'Stéphanie', 'Catherine', 'Marie-Ève', 'Vanessa', 'Émilie', 'Audrey', 'Andréanne', 'Joannie', 'Marie-Pier', 'Maude', 'Kim', 'Jessica', 'Annie-Claude', 'Évelyne'],
  '1990s': ['Camille', 'Laurence', 'Sarah', 'Ariane', 'Frédérique', 'Rosalie', 'Noémie', 'Gabrielle', 'Anne-Sophie', 'Marie-Soleil', 'Audrey-Anne', 'Élisabeth', 'Jade', 'Justine', 'Florence'],
  '2000s': ['Léa', 'Laurie', 'Océane', 'Mégane', 'Emma', 'Juliette', 'Maïka', 'Chloé', 'Coralie', 'Sarah-Maude', 'Alexia', 'Éloïse', 'Maélie', 'Marie-Jeanne', 'Clara'],
  '2010s': ['Florence', 'Alice', 'Charlotte', 'Livia', 'Béatrice', 'Rosalie', 'Zoé', 'Romy', 'Olivia', 'Léonie', 'Maëlle', 'Mia', 'Juliette', 'Victoria', 'Anne-Marie'],
};

export const FRENCH_GIVEN_MALE: ByEra = {
  before1950: ['Roger', 'Gérard', 'Marcel', 'Fernand', 'Lucien', 'Jean-Paul', 'Maurice', 'Armand', 'Rosaire', 'Léo', 'Paul-Émile', 'Gaston', 'Réal', 'Roland', 'Adrien'],
  '1950s': ['Michel', 'Pierre', 'André', 'Jacques', 'Claude', 'Gilles', 'Réjean', 'Yvon', 'Normand', 'Denis', 'Guy', 'Jean-Guy', 'Serge', 'Raymond', 'Gaétan'],
  '1960s': ['Sylvain', 'Alain', 'Daniel', 'Mario', 'Luc', 'Stéphane', 'Richard', 'Marc', 'Benoît', 'Christian', 'Jean-Pierre', 'Jean-Marc', 'Normand', 'Robert', 'François'],
  '1970s': ['Martin', 'Éric', 'Patrick', 'Sébastien', 'Jean-François', 'Dominic', 'Frédéric', 'Pascal', 'Steve', 'Jean-Philippe', 'Marc-André', 'Yannick', 'Hugo', 'Mathieu', 'Nicolas'],
  '1980s': ['Maxime', 'Alexandre', 'Mathieu', 'Simon', 'Olivier', 'Jonathan', 'Kevin', 'Guillaume', 'Jean-Sébastien', 'Vincent', 'Louis-Philippe', 'Pier-Luc', 'Marc-Olivier', 'Philippe', 'David'],
  '1990s': ['Samuel', 'Gabriel', 'Antoine', 'Félix', 'William', 'Charles-Étienne', 'Alexis', 'Jérémy', 'Xavier', 'Étienne', 'Francis', 'Raphaël', 'Justin', 'Émile', 'Jean-Christophe'],
  '2000s': ['William', 'Samuel', 'Thomas', 'Nathan', 'Olivier', 'Zachary', 'Jacob', 'Mathis', 'Loïc', 'Félix', 'Édouard', 'Anthony', 'Logan', 'Tristan', 'Charles-Antoine'],
  '2010s': ['William', 'Liam', 'Noah', 'Thomas', 'Léo', 'Jacob', 'Édouard', 'Arthur', 'Émile', 'Raphaël', 'Louis', 'Théo', 'Hugo', 'Nathan', 'Charles'],
};

export const ENGLISH_GIVEN_FEMALE: ByEra = {
  before1950: ['Margaret', 'Dorothy', 'Mary', 'Joan', 'Helen', 'Betty', 'Shirley', 'Doris'],
  '1950s': ['Linda', 'Patricia', 'Susan', 'Barbara', 'Deborah', 'Elizabeth', 'Carol', 'Judith'],
  '1960s': ['Karen', 'Lisa', 'Donna', 'Cynthia', 'Sandra', 'Wendy', 'Heather', 'Laurie'],
  '1970s': ['Jennifer', 'Michelle', 'Amanda', 'Melissa', 'Kimberly', 'Tracy', 'Erin', 'Kelly'],
  '1980s': ['Jessica', 'Ashley', 'Sarah', 'Emily', 'Lauren', 'Megan', 'Rachel', 'Vanessa'],
  '1990s': ['Hannah', 'Samantha', 'Rebecca', 'Victoria', 'Kayla', 'Emma', 'Danielle', 'Courtney'],
  '2000s': ['Olivia', 'Madison', 'Abigail', 'Grace', 'Sophie', 'Ava', 'Chloe', 'Isabella'],
  '2010s': ['Charlotte', 'Amelia', 'Olivia', 'Harper', 'Evelyn', 'Lily', 'Nora', 'Maya'],
};

export const ENGLISH_GIVEN_MALE: ByEra = {
  before1950: ['John', 'William', 'George', 'Robert', 'Donald', 'Kenneth', 'Arthur', 'Frank'],
  '1950s': ['David', 'James', 'Richard', 'Thomas', 'Peter', 'Gary', 'Ronald', 'Brian'],
  '1960s': ['Michael', 'Mark', 'Paul', 'Stephen', 'Jeffrey', 'Scott', 'Timothy', 'Kevin'],
  '1970s': ['Christopher', 'Jason', 'Matthew', 'Sean', 'Ryan', 'Jeremy', 'Shawn', 'Craig'],
  '1980s': ['Andrew', 'Daniel', 'Adam', 'Joshua', 'Justin', 'Tyler', 'Patrick', 'Brandon'],
  '1990s': ['Ethan', 'Jordan', 'Dylan', 'Connor', 'Nicholas', 'Austin', 'Cameron', 'Evan'],
  '2000s': ['Noah', 'Owen', 'Lucas', 'Benjamin', 'Logan', 'Caleb', 'Jack', 'Liam'],
  '2010s': ['Oliver', 'Henry', 'Theodore', 'Leo', 'Jack', 'Lucas', 'James', 'Elijah'],
};

/** Frequent Québec surnames (ISQ), a few with apostrophes or "Saint" forms as they are written. */
export const FRENCH_SURNAMES: readonly string[] = [
  'Tremblay', 'Gagnon', 'Roy', 'Côté', 'Bouchard', 'Gauthier', 'Morin', 'Lavoie', 'Fortin', 'Gagné',
  'Ouellet', 'Pelletier', 'Bélanger', 'Lévesque', 'Bergeron', 'Leblanc', 'Paquette', 'Girard', 'Simard',
  'Boucher', 'Caron', 'Beaulieu', 'Cloutier', 'Dubé', 'Poirier', 'Fournier', 'Lapointe', 'Leclerc',
  'Lefebvre', 'Poulin', 'Thibault', 'St-Pierre', 'Nadeau', 'Martin', 'Landry', 'Martel', 'Bédard',
  'Grenier', 'Lessard', 'Bernier', 'Richard', 'Michaud', 'Hébert', 'Desjardins', 'Couture', 'Turcotte',
  'Lachance', 'Parent', 'Blais', 'Gosselin', 'Savard', 'Proulx', 'Beaudoin', 'Demers', 'Perron',
  'Lemieux', 'Cyr', 'Vachon', 'Brisson', 'Charbonneau', 'Ménard', 'Thériault', 'Légaré', 'Plourde',
  "D'Amour", "L'Heureux", "D'Aoust", 'Saint-Onge', 'Sainte-Marie', 'Dufour', 'Guérin', 'Langlois',
  'Rousseau', 'Émond', 'Goulet', 'Rioux', 'Hamel', 'Giroux', 'Mercier', 'Chénier',
];

export const ENGLISH_SURNAMES: readonly string[] = [
  'Smith', 'Johnson', 'Brown', 'Wilson', 'Campbell', 'Stewart', "O'Brien", "O'Neill", 'MacDonald',
  'Murphy', 'Kelly', 'Ryan', 'Taylor', 'Thompson', 'Robinson', 'Fraser', 'McKenzie', 'Young',
];

/** Surnames of Montréal's communities (Haitian, Lebanese, Vietnamese, Chinese, Italian, Latin American…). */
export const OTHER_SURNAMES: readonly string[] = [
  'Jean-Baptiste', 'Joseph', 'Pierre-Louis', 'Saint-Fleur', 'Haddad', 'Khoury', 'Nguyen', 'Tran',
  'Chen', 'Li', 'Wang', 'Rossi', 'Russo', 'De Luca', 'Rodriguez', 'Gonzalez', 'Da Silva', 'Benali',
];

export const STREET_NAMES: readonly string[] = [
  'rue Principale', 'rue Saint-Jean', 'rue Notre-Dame', 'boulevard René-Lévesque', 'rue des Érables',
  'rue de l’Église', 'avenue du Parc', 'rue Sherbrooke', 'rue King', 'rue Wellington', 'boulevard Laurier',
  'rue Saint-Denis', 'rue Papineau', 'avenue des Pins', 'rue du Couvent', 'rang Saint-Joseph',
  'chemin du Lac', 'rue Champlain', 'rue Racine', 'boulevard Talbot', 'rue des Pionniers',
  'rue Marie-Victorin', 'avenue Laval', 'rue Frontenac', 'rue Dollard', 'boulevard des Forges',
  'rue Jacques-Cartier', 'rue Sainte-Catherine', 'avenue Cartier', 'rue des Lilas',
];

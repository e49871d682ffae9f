"""How trial documents write the facts the statement detectors look for, beyond English registry labels.

Registries and news outside the English-speaking world state a trial's status, design, size,
criteria and dates in their own words: "募集中", "randomisiert", "doble ciego", "600명", "纳入标准",
"10 de octubre de 2025"; news and hospital pages say where recruitment stands in prose ("now
enrolling"). The detectors (pipeline/statements.py, schemas/normalize.py's dates, the criteria
splitter and section headings) read English registry forms; this module gives them the other
forms, in one place:

- month names come from the Unicode CLDR through babel (no hand-written lists);
- the rest are the standard translations of registry vocabulary in the languages of the
  registries trialsift reads (German, French, Spanish, Italian, Portuguese, Dutch, Chinese,
  Japanese, Korean), and English prose wordings of recruitment. Each form maps to the English
  wording the normalizers already accept, so the normalizers stay the single place that
  decides an enum value.

A form belongs here only when it states the value in any document of that language, never
because one page used it.
"""

from __future__ import annotations

import functools
import re

from babel import Locale
from babel.dates import get_month_names

# Languages whose month names dates may be written with (besides English, which dateutil reads).
MONTH_LANGUAGES = ("de", "fr", "es", "it", "pt", "nl")


@functools.lru_cache(maxsize=None)
def month_numbers() -> dict[str, int]:
    """Full month names of MONTH_LANGUAGES, lower case, in both grammatical contexts -> 1-12."""
    names: dict[str, int] = {}
    for language in MONTH_LANGUAGES:
        for context in ("format", "stand-alone"):
            for number, name in get_month_names("wide", context, locale=language).items():
                names[name.lower()] = number
    return names


def month_name_pattern() -> str:
    """A regex alternation of the foreign month names, longest first ("juillet" before "juil")."""
    return "|".join(re.escape(name) for name in sorted(month_numbers(), key=len, reverse=True))


# Languages registries write bilingual pages in: their names, in each other (CLDR, via babel).
PAGE_LANGUAGES = ("en", "zh", "ja", "ko", "de", "fr", "es", "it", "pt", "nl")


@functools.lru_cache(maxsize=None)
def language_names() -> frozenset[str]:
    """Case-folded names of PAGE_LANGUAGES in each of them ("English", "日本語", "英語", "Deutsch"):
    a bilingual page tags its rows with them."""
    names = set()
    for locale in PAGE_LANGUAGES:
        languages = Locale.parse(locale).languages
        names.update(languages[code].casefold() for code in PAGE_LANGUAGES if code in languages)
    return frozenset(names)


# Words a count of people is written with. Latin- and Cyrillic-script words are matched as whole words;
# CJK counters follow the number directly ("600명", "60名", "200例", "100人").
PARTICIPANT_WORDS = (
    # English, beyond "participants" and "patients": who else a trial enrolls
    r"students?|residents?|mothers?|newborns?|neonates?|adolescents?|nurses?|workers?|employees?"
    r"|smokers?|survivors?|couples?|famil(?:y|ies)|households?|athletes?|veterans?|pregnant|elderly"
    # German, French, Spanish, Italian, Portuguese, Dutch
    r"|patient(?:en|innen)|teilnehmer\w*|teilnehmende\w*|probanden?\w*|personen|kinder(?:n)?|frauen|m\u00e4nner"
    r"|patiente?s|participante?s|personnes|sujets|enfants|volontaires"
    r"|pacientes|personas|pessoas|sujetos|sujeitos|ni\u00f1os|crian\u00e7as|volunt[a\u00e1]ri[oa]s|mujeres|mulheres"
    r"|pazienti|partecipanti|soggetti|persone|bambini|volontari|donne"
    r"|pati\u00ebnten|deelnemers|kinderen"
    # English infants; Polish, Czech; Russian, Ukrainian; Turkish; Indonesian; Vietnamese
    r"|infants?|babies|toddlers"
    r"|os\u00f3b|osoby|pacjent\w*|uczestnik\w*|ochotnik\w*|chorych|dzieci|kobiet"
    r"|pacient\w*|\u00fa\u010dastn\w*|dobrovoln\w*|osob"
    r"|\u043f\u0430\u0446\u0438\u0435\u043d\u0442\w*|\u0443\u0447\u0430\u0441\u0442\u043d\u0438\u043a\w*"  # пациент участник
    r"|\u0434\u043e\u0431\u0440\u043e\u0432\u043e\u043b\w*|\u0447\u0435\u043b\u043e\u0432\u0435\u043a"  # добровол человек
    r"|\u0438\u0441\u043f\u044b\u0442\u0443\u0435\u043c\w*|\u043f\u0430\u0446\u0456\u0454\u043d\u0442\w*"  # испытуем пацієнт
    r"|\u0443\u0447\u0430\u0441\u043d\u0438\u043a\w*|\u043e\u0441\u0456\u0431"  # учасник осіб
    r"|g\u00f6n\u00fcll\u00fc\w*|hasta\w*|ki\u015fi\w*|kat\u0131l\u0131mc\u0131\w*"  # gönüllü hasta kişi katılımcı
    r"|pasien|relawan|peserta|orang|subjek"
    r"|b\u1ec7nh nh\u00e2n|t\u00ecnh nguy\u1ec7n vi\u00ean|ng\u01b0\u1eddi"  # bệnh nhân tình nguyện viên người
)
# A character of the scripts written without spaces between words (kana, Han) or, in Korean,
# with particles joined to the word before them ("미국에서"): word boundaries do not delimit
# names there.
CJK_CHARACTER = r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]"
# Korean particles a place name takes when it is where something happens or whose it is
# (에서 at/in, 에 to/in, 의 of, 내 within, 과/와 and, 은/는/이/가 subject, 및 and, 등 etc., 로/으로 to).
KOREAN_PLACE_PARTICLES = (r"\uc5d0\uc11c|\uc5d0|\uc758|\ub0b4|\uacfc|\uc640|\uc740|\ub294|\uc774|\uac00|\ubc0f|\ub4f1|"
                          r"\ub85c|\uc73c\ub85c")
# Han script words that make the next name a place ("在中国进行", "於台灣", "于美国") and Japanese ones
# that make the name before them one ("日本で実施", "米国において", "国内"): without spaces, a
# country's name is otherwise too often the first word of an organization's ("中国医学科学院").
CJK_PLACE_BEFORE = r"\u5728|\u4e8e|\u65bc"  # 在 于 於
CJK_PLACE_AFTER = r"\u3067|\u306b\u3066|\u306b\u304a\u3044\u3066|\u56fd\u5185|\u570b\u5167|\u5185"  # で にて において 国内 國內 内
CJK_PEOPLE_COUNTERS = r"\u540d|\u4f8b|\u4eba|\uba85|\u4f4d|\ub840"  # 名 例 人 명 位 례
# CJK words for the people a trial enrolls (no word boundaries in CJK writing): 患者 受试者 被験者 参加者 환자 대상자
CJK_PARTICIPANT_WORDS = r"\u60a3\u8005|\u53d7\u8bd5\u8005|\u88ab\u9a13\u8005|\u53c2\u52a0\u8005|\ud658\uc790|\ub300\uc0c1\uc790"
SAMPLE_SIZE_LABELS = (
    r"\u6837\u672c\u91cf|\u6837\u672c\u542b\u91cf|\u4f8b\u6570|\u75c7\u4f8b\u6570|\u53c2\u52a0\u8005\u6570"  # 样本量 样本含量 例数 症例数 参加者数
    r"|\u76ee\u6a19\u53c2\u52a0\u8005\u6570|\u5bfe\u8c61\u8005\u6570|\ub300\uc0c1\uc790\s*\uc218|\ubaa9\ud45c\s*\uc778\uc6d0"  # 目標参加者数 対象者数 대상자 수 목표 인원
    r"|fallzahl|stichprobengr\u00f6\u00dfe|taille de l'\u00e9chantillon|tama\u00f1o de (?:la )?muestra"
    r"|dimensione del campione|tamanho da amostra|steekproefgrootte"
)
# Words that scale the number before them, as news items write counts in words ("12 mil
# participantes", "25 bin kişi", "3 Tausend", "1.2万人"): value -> its words. Latin- and
# Cyrillic-script words follow the number after a space; CJK ones directly or after a space.
SCALE_WORDS = {
    1_000: r"thousand|mil|mille|mila|tausend|duizend|bin|tys\.|tysi\u0105c\w*|\u0442\u044b\u0441\.|\u0442\u044b\u0441\u044f\u0447\w*"
           r"|ribu|ngh\u00ecn|ng\u00e0n",
    1_000_000: r"million|millions|millones|mill\u00f3n|milh\u00f5es|milh\u00e3o|milioni|milione|millionen|miljoen|milyon"
               r"|mln|\u043c\u0438\u043b\u043b\u0438\u043e\u043d\w*|juta|tri\u1ec7u",
}
CJK_SCALE_WORDS = {1_000: r"\u5343|\ucc9c", 10_000: r"\u4e07|\ub9cc"}  # 千 천, 万 만
# Age units in other languages: "18 ans", "18 Jahre", "18 años", "18 anni", "18 anos", "18 jaar"
# (whole words), and the CJK ones written right after the number: "18歳", "18岁", "18세".
AGE_UNITS = (r"ans|jahren?|a\u00f1os|anni|anos|jaar"
             # Turkish yaş (with its case endings), Polish lat, Czech let, Russian лет/года, Indonesian tahun,
             # Vietnamese tuổi
             r"|ya\u015f\w*|lat|let|\u043b\u0435\u0442|\u0433\u043e\u0434\u0430|tahun|tu\u1ed5i"
             # Swedish, Danish, Norwegian år; Arabic عام/عامًا, سنة/سنوات
             r"|\u00e5r|\u0639\u0627\u0645(?:\u064b?\u0627|\u0627\u064b)?|\u0633\u0646\u0629|\u0633\u0646\u0648\u0627\u062a")
# The word "age" in Chinese, Japanese and Korean (年龄 年齡 年齢 연령 나이): a number near it is an age.
CJK_AGE_WORDS = r"\u5e74\u9f84|\u5e74\u9f61|\u5e74\u9f62|\uc5f0\ub839|\ub098\uc774"
# 歳 岁 세, and 周岁/週歳 (full years of age) and 才 (Japanese, informal)
CJK_AGE_UNITS = r"[\u5468\u9031]?\u5c81|[\u5468\u9031]?\u6b73|\uc138|\u624d"

# Units that make a number a quantity of something other than people or years of age: a dose, a
# share, a count of places ("25 mg", "60%", "12 sites", "16カ国"). A number's own unit is the word
# right after it; people words elsewhere in its sentence describe other numbers.
OTHER_QUANTITY_UNITS = (
    r"\s*(?:%|\u00b5g|\u03bcg)"
    r"|\s*(?:percent|per cent|mg|mcg|g|kg|ml|mmol|iu|units?|sites?|cent(?:er|re)s?|hospitals?|clinics?|countries"
    r"|centros|zentren|centri|pa\u00edses|pays|l\u00e4nder(?:n)?|paesi)(?![^\W\d_])"
    # 施設 カ国 か国 ヶ国 个国家 个中心 家医院 家中心 개국 개 기관
    r"|\s*(?:\u65bd\u8a2d|\u30ab\u56fd|\u304b\u56fd|\u30f6\u56fd|\u4e2a\u56fd\u5bb6|\u4e2a\u4e2d\u5fc3|\u5bb6\u533b\u9662"
    r"|\u5bb6\u4e2d\u5fc3|\uac1c\uad6d|\uac1c\s*\uae30\uad00)"
)

# The word "phase" as trial pages write it (regex forms): Romance and Danish/Norwegian "fase", Swedish
# "fas", Czech "fáze", Polish "faza" with its case forms, Turkish "faz", Cyrillic "фаза" with its case forms
# (and the genitive plural "фаз", which has no ending); the numeral follows ("fase III", "fas 3",
# "Faz-2", "фаза 3"). Slavic and Turkish pages also put an ordinal before the word ("II fazy", "III фаза",
# "2. Faz"). Swedish "fas" only in lower case: "Fas" is also a cell receptor ("Fas 1"). Portuguese "faz"
# is also a verb of durations ("faz 2 anos": two years ago), which states no phase.
PHASE_WORDS = (r"phase|fase|(?<![^\W\d_])(?-i:fas)(?![^\W\d_])|f\u00e1ze|f\u00e1zi|faz[aey]|fazie"
               r"|faz(?!\w)(?![\s-]*\d+\s*(?:anos?|mes(?:es)?|dias?|semanas?|horas?)(?!\w))"
               r"|\u0444\u0430\u0437(?:[\u0430\u044b\u0435\u0443\u0438]|\u0430\u043c\u0438|\u0430\u043c|\u0430\u0445)?(?![^\W\d_])")
PHASE_WORDS_AFTER_NUMERAL = (r"faz[aey\u0119]|fazie|faz[\u0131i]?|f\u00e1ze|f\u00e1zi"
                             r"|\u0444\u0430\u0437[\u0430\u044b\u0435\u0443\u0438]")


# A healthy study population in other languages: "healthy" with a people word. 健康成人 健康受试者 健康志愿者
# 健康人群 (zh), 健常人 健康被験者 健康なボランティア (ja), 건강한 성인/자원자 (ko); Turkish, German, French, Spanish,
# Italian, Portuguese, Russian and Polish word pairs. Healthy controls beside patients are not among them.
HEALTHY_POPULATION_PHRASES = (
    r"\u5065\u5eb7(?:\u6210\u4eba|\u6210\u5e74\u4eba|\u53d7\u8bd5\u8005|\u53d7\u8a66\u8005|\u5fd7\u613f\u8005|\u5fd7\u9858\u8005"
    r"|\u4eba\u7fa4|\u88ab\u9a13\u8005)"
    r"|\u5065\u5e38(?:\u4eba|\u8005)|\u5065\u5eb7\u306a(?:\u6210\u4eba|\u30dc\u30e9\u30f3\u30c6\u30a3\u30a2|\u88ab\u9a13\u8005)"
    r"|\uac74\uac15\ud55c\s*(?:\uc131\uc778|\uc790\uc6d0\uc790|\uc9c0\uc6d0\uc790|\ucc38\uac00\uc790|\ud53c\ud5d8\uc790)"
    r"|\bsa\u011fl\u0131kl\u0131\s+(?:g\u00f6n\u00fcll\u00fc|yeti\u015fkin|kat\u0131l\u0131mc\u0131|birey)\w*"
    r"|\bgesunde[n]?\s+(?:proband\w*|freiwillige[n]?|erwachsene[n]?|teilnehmer\w*)"
    r"|\b(?:volontaires|sujets|adultes)\s+sains\b|\b(?:voluntarios|sujetos|adultos)\s+sanos\b"
    r"|\b(?:volontari|soggetti|adulti)\s+sani\b|\b(?:volunt\u00e1rios|sujeitos|adultos)\s+saud\u00e1veis\b"
    r"|\b\u0437\u0434\u043e\u0440\u043e\u0432\w*\s+(?:\u0434\u043e\u0431\u0440\u043e\u0432\u043e\u043b\w*|\u0432\u0437\u0440\u043e\u0441\u043b\w*)"  # здоровых добровольцев/взрослых
    r"|\bzdrow(?:ych|i|e)\s+(?:ochotnik\w*|doros\u0142\w*)"
    # Swedish, Danish, Norwegian: friska frivilliga, raske/friske frivillige
    r"|\b(?:friska\s+frivilliga|raske\s+frivillige|friske\s+frivillige)\b"
    # 健康な + children, infants, men, women, Japanese people, older people (健康な小児, 健康な男性)
    r"|\u5065\u5eb7\u306a(?:\u5c0f\u5150|\u5b50\u3069\u3082|\u5b50\u4f9b|\u4e73\u5e7c\u5150|\u7537\u6027|\u5973\u6027"
    r"|\u65e5\u672c\u4eba|\u9ad8\u9f62\u8005)"
    r"|\u05de\u05ea\u05e0\u05d3\u05d1\u05d9\u05dd\s+\u05d1\u05e8\u05d9\u05d0\u05d9\u05dd"  # Hebrew: מתנדבים בריאים
    # Arabic: a volunteer (متطوع, متطوعين) who is healthy (سليم, أصحاء)
    r"|\u0645\u062a\u0637\u0648\u0651?\u0639\w*\s+(?:\u0633\u0644\u064a\u0645\w*|[\u0623\u0627]\u0635\u062d\u0627\u0621)"
)


# Answers to a yes/no field in the languages of the pages (a registry form's "Gesunde Probanden:
# Nein", "Volontaires sains : Oui"). 是/否 はい/いいえ 예/아니오 可/不可
YES_ANSWERS = r"yes|true|accepted|ja|oui|s\u00ed|si|s\u00ec|sim|tak|\u0434\u0430|evet|\u662f|\u306f\u3044|\uc608|\u53ef"
NO_ANSWERS = (r"no|false|not accepted|nein|non|nee|nie|n\u00e3o|nao|\u043d\u0435\u0442|hay\u0131r|\u5426|\u3044\u3044\u3048"
              r"|\uc544\ub2c8\uc624|\uc544\ub2c8\uc694|\u4e0d\u53ef")


# Words that name a person's role in a trial in other languages: investigator, person in
# charge, contact person, applicant. 研究者 负责人 联系人 申请人 責任者 担当者 연구자 책임자 담당자 연락처
CONTACT_ROLE_WORDS = (
    r"pr\u00fcfarzt|pr\u00fcf\u00e4rztin|studienleit\w*|ansprechpartner\w*|kontaktperson"
    r"|investigateur|investigatrice|investigador\w*|sperimentatore|ricercator\w*|referente|pesquisador\w*"
    r"|onderzoeker|contactpersoon|contato|contatto"
    # "led by" as other languages write it (English "led by" is in statements.ROLE_WORDS)
    r"|unter der leitung|leitung der studie|geleid door|onderzoeksleid\w*|guidat[oa] da|coordinat[oa] da"
    r"|(?:dirigid|liderad|coordinad|coordenad)[oa]s? por|(?:dirig|men|coordonn)\u00e9e?s? par|sous la direction"
    r"|leds av|ledes a[fv]|\u8abf\u6574\u533b\u5e2b"  # 調整医師
    r"|\u7814\u7a76\u8005|\u8d1f\u8d23\u4eba|\u8054\u7cfb\u4eba|\u7533\u8bf7\u4eba|\u8cac\u4efb\u8005|\u62c5\u5f53\u8005"
    r"|\uc5f0\uad6c\uc790|\ucc45\uc784\uc790|\ub2f4\ub2f9\uc790|\uc5f0\ub77d\ucc98"
)

# Who writes a news item, in its byline: never a person of the trial. 记者 記者 기자 특파원
REPORTER_WORDS = (
    r"reporter|journalist\w*|correspondent|editor|editorial|redakteur\w*|journaliste|r\u00e9dact\w*"
    r"|periodista|redactor\w*|giornalista|jornalista|redacteur|verslaggever"
    r"|\u8bb0\u8005|\u8a18\u8005|\uae30\uc790|\ud2b9\ud30c\uc6d0"
)

# Whom a story quotes or lists beside its trial without their being the trial's people, by the
# role it gives them: a press or investor contact, a company's officers (anywhere in the role), a
# patient telling their story (the whole role: "Contact for patients" is a trial contact).
# 사장 社長 总裁 董事长; 患者 환자
STORY_PEOPLE_ROLES = (
    r"\b(?:media|press|investor)[ -](?:contact|relations|inquiries|enquiries|officer)\b|spokes(?:person|man|woman)"
    r"|\b(?:ceo|cfo|coo|founder|co-founder|chairman|chairwoman|chairperson|president|managing director"
    r"|chief (?:executive|financial|operating|business|commercial) officer)\b"
    r"|\b(?:pdg|fondateur|fondatrice|pr\u00e9sident\w*|directeur g\u00e9n\u00e9ral|presidente|fundador\w*"
    r"|director (?:ejecutivo|general)|amministratore delegato|gesch\u00e4ftsf\u00fchrer\w*|vorstand\w*)\b"
    r"|\uc0ac\uc7a5|\u793e\u9577|\u603b\u88c1|\u8463\u4e8b\u957f"
)
STORY_PATIENT_ROLE = (
    r"(?:an? |the )?(?:trial |study )?(?:patient|participant|volunteer|paciente|paziente)s?"
    r"|\u60a3\u8005|\ud658\uc790"
)

# Verbs of a news headline: someone announces, begins or receives something. A trial's title is a
# noun phrase naming the study ("A Study of X in Y"); a line reporting an event is a story's
# headline. In English and the Romance and German forms, the third-person present only (headlines'
# tense): past participles and plural nouns ("Patients Who Received", "Multiple Doses", "Case
# Reports") are words of titles too. Turkish headlines use the past ("başlattı": began).
# 宣布 启动 获批 (announce, launch, approved); を開始 を発表 を取得 (begins, announces, obtains);
# 착수 돌입 발표 승인 (embark, enter, announce, approval)
NEWS_EVENT_VERBS = (
    r"announces|says|begins|starts|launches|initiates|commences|enrol(?:l)?s|completes|receives|wins|secures"
    r"|unveils|reveals|halts|suspends|resumes|achieves|gets|kicks off"
    r"|startet|beginnt|meldet|erh\u00e4lt|k\u00fcndigt|lance|annonce|d\u00e9bute|d\u00e9marre|obtient|re\u00e7oit"
    r"|inicia|anuncia|comienza|lanza|arranca|recibe|obtiene|avvia|annuncia|inizia|lancia|ottiene|riceve"
    r"|come\u00e7a|lan\u00e7a|recebe|obt\u00e9m|ba\u015flatt\u0131|ba\u015flad\u0131|a\u00e7\u0131klad\u0131|duyurdu"
)
CJK_NEWS_EVENT_VERBS = (
    r"\u5ba3\u5e03|\u542f\u52a8|\u83b7\u6279|\u3092\u958b\u59cb|\u3092\u767a\u8868|\u3092\u53d6\u5f97"
    r"|\ucc29\uc218|\ub3cc\uc785|\ubc1c\ud45c|\uc2b9\uc778"
)

# A call for participants ("Seeking volunteers for an asthma study", "Patients invited to take part
# in a trial", "Probanden gesucht", "招募受试者", "참가자 모집"): an advertisement's line, not a trial's title.
RECRUITMENT_CALLS = (
    r"\bseeking (?:participants|volunteers|patients|people|subjects)\b"
    r"|\b(?:participants|volunteers|patients|people|subjects) (?:are )?(?:needed|wanted|sought)\b"
    r"|\b(?:invited|wanted|needed|sought) to (?:participate|take part|join)\b"
    r"|\blooking for (?:participants|volunteers|patients|people)\b"
    r"|\bcalls? for (?:participants|volunteers|patients)\b"
    r"|\b(?:probanden|teilnehmer\w*|patient(?:en|innen)|freiwillige) gesucht\b"
    r"|\b(?:deelnemers|proefpersonen|vrijwilligers|pati\u00ebnten) gezocht\b"
    r"|\b(?:recherche|cherche) (?:de |des )?(?:volontaires|participants|patients)\b|\bappel \u00e0 (?:volontaires|participants)\b"
    r"|\bbusca(?:n)? (?:voluntarios|participantes|pacientes)\b|\bse buscan (?:voluntarios|participantes|pacientes)\b"
    r"|\bcerca(?:si|no)? (?:volontari|partecipanti|pazienti)\b"
    r"|\bprocura(?:m|-se)? (?:volunt\u00e1rios|participantes|pacientes)\b"
    r"|\u62db\u52df(?:\u60a3\u8005|\u53d7\u8bd5\u8005|\u5fd7\u613f\u8005)"  # 招募 患者 受试者 志愿者
    r"|(?:\u60a3\u8005|\u88ab\u9a13\u8005|\u53c2\u52a0\u8005|\u30dc\u30e9\u30f3\u30c6\u30a3\u30a2)(?:\u3092|\u306e)?\u52df\u96c6"  # 患者 被験者 参加者 ボランティア (を|の) 募集
    r"|(?:\ud658\uc790|\ucc38\uac00\uc790|\uc790\uc6d0\uc790|\uc9c0\uc6d0\uc790)\s*\ubaa8\uc9d1"  # 환자 참가자 자원자 지원자 모집
)

# Verbs that report what a person or company said or announced ("..., she said", "erklärte",
# "a déclaré", "announced today", "表示", "公布", "밝혔다"). Registry records and trial listings state
# facts under labels and report no one; a page that does is a story about a trial (news, press
# release), whose headline is the story's title, not the trial's. Past and present reporting
# forms; no bare "speak" verbs, which instructions use ("speak to your doctor").
REPORTING_VERBS = (
    r"said|says|told|explained|announced|announces"
    r"|sagte|sagt|erkl\u00e4rte|k\u00fcndigte|gab bekannt|gibt bekannt"
    r"|a d\u00e9clar\u00e9|a expliqu\u00e9|d\u00e9clare|affirme|a affirm\u00e9|a annonc\u00e9|annonce"
    r"|dijo|afirm\u00f3|explic\u00f3|se\u00f1al\u00f3|declar\u00f3|asegur\u00f3|anunci\u00f3|anuncia"
    r"|disse|afirmou|explicou|declarou|anunciou"
    r"|ha detto|ha spiegato|spiega|ha dichiarato|ha annunciato|annuncia|zei|zegt|aldus|vertelde|maakte bekend"
    r"|powiedzia\u0142a?|m\u00f3wi|wyja\u015bnia|og\u0142osi\u0142[ao]?"
    r"|\u0441\u043a\u0430\u0437\u0430\u043b\u0430?|\u0437\u0430\u044f\u0432\u0438\u043b\u0430?"
    r"|\u043e\u0442\u043c\u0435\u0442\u0438\u043b\u0430?|\u0440\u0430\u0441\u0441\u043a\u0430\u0437\u0430\u043b\u0430?"
    r"|\u043e\u0431\u044a\u044f\u0432\u0438\u043b[\u0430\u0438]?"  # сказал заявил отметил рассказал объявил
    r"|dedi|s\u00f6yledi|belirtti|duyurdu|a\u00e7\u0131klad\u0131|mengatakan|katanya|cho bi\u1ebft"
    r"|\u03b4\u03ae\u03bb\u03c9\u03c3\u03b5|\u03b5\u03af\u03c0\u03b5"  # δήλωσε είπε
)
# 表示 指出 公布 宣布 (state, point out, make public, announce); と述べ と話し と語っ と発表 (said,
# told, announced); 밝혔다 말했다 설명했다 전했다 발표했다 (stated, said, explained, conveyed,
# announced); Thai กล่าว and Hindi कहा (said) are written without word boundaries the way the
# Latin forms are.
SCRIPT_REPORTING_VERBS = (
    r"\u8868\u793a|\u6307\u51fa|\u516c\u5e03|\u5ba3\u5e03"
    r"|\u3068\u8ff0\u3079|\u3068\u8a71\u3057|\u3068\u8a9e\u3063|\u3068\u767a\u8868"
    r"|\ubc1d\ud614\ub2e4|\ub9d0\ud588\ub2e4|\uc124\uba85\ud588\ub2e4|\uc804\ud588\ub2e4|\ubc1c\ud45c\ud588\ub2e4"
    r"|\u0e01\u0e25\u0e48\u0e32\u0e27|\u0915\u0939\u093e(?![\u0900-\u0963])"
)

# Nouns that name what a trial does to people, not what it studies: a phrase ending on one
# ("gene therapy", "memory assessment", "knee implants") names a treatment, test or
# procedure. English; a condition caused by one says so with a linking word before it
# ("mucositis induced by chemotherapy", "nausea after surgery").
TREATMENT_NOUNS = (
    r"therap(?:y|ies)|treatments?|medicines?|assessments?|challenges?|stents?|formulations?|rehabilitation"
    r"|surger(?:y|ies)|vaccines?|vaccinations?|drugs?|procedures?|tests?|testing|injections?|supplements?"
    r"|supplementation|programm?e?s?|interventions?|training|devices?|implants?"
)
# Plural nouns for the places a trial runs, in the languages of the pages: a site name ending on one
# in lower case, or counting them, sums up many sites (pipeline/field_checks.py).
SITE_PLURAL_NOUNS = (
    r"sites|cent(?:re|er)s|centri|centros|zentren|hospitals|h\u00f4pitaux|ospedali|hospitales|clinics"
    r"|kliniken|cliniques|cliniche|cl\u00ednicas|units|locations|facilities|institutions"
)
# Nouns that name who takes part, not what is studied: a phrase ending on one ("newborn infants",
# "care-home elderly", "plasma donors") names the trial's population. English. Not
# "patients" or "adults", which a condition's name often carries ("COVID-19 patients") and a
# scorer reads as the condition.
POPULATION_NOUNS = (
    r"infants?|babies|newborns?|neonates?|elderly|children|women|men|volunteers?|donors?|students?|nurses?"
    r"|workers?|girls?|boys?|mothers?"
)
CONDITION_LINKING_WORDS = (
    r"after|following|due|induced|associated|related|caused|with|in|of|from|for|during|by|secondary|post"
)

# Eligibility criteria headings in other languages, by kind, as registries write them ("纳入标准",
# "Einschlusskriterien", "Critères d'inclusion"), in the case-folded form headings are compared in.
CRITERIA_HEADINGS: dict[str, tuple[str, ...]] = {
    "inclusion": (
        "einschlusskriterien", "critères d'inclusion", "criterios de inclusión", "critérios de inclusão",
        "criteri di inclusione", "inclusiecriteria",
        "\u7eb3\u5165\u6807\u51c6", "\u5165\u9009\u6807\u51c6", "\u5165\u7ec4\u6807\u51c6",  # 纳入标准 入选标准 入组标准
        "\u7d0d\u5165\u6a19\u6e96", "\u9078\u629e\u57fa\u6e96", "\uc120\uc815\uae30\uc900",  # 納入標準 選択基準 선정기준
    ),
    "exclusion": (
        "ausschlusskriterien", "critères d'exclusion", "criterios de exclusión", "critérios de exclusão",
        "criteri di esclusione", "exclusiecriteria",
        "\u6392\u9664\u6807\u51c6", "\u6392\u9664\u6a19\u6e96", "\u9664\u5916\u57fa\u6e96",  # 排除标准 排除標準 除外基準
        "\uc81c\uc678\uae30\uc900",  # 제외기준
    ),
}


def criteria_heading_pattern(kind: str) -> str:
    """One kind's headings as a regex alternation. Words may be spaced differently ("선정 기준"
    for "선정기준": CJK headings are written with or without spaces) and apostrophes vary ("d’inclusion")."""
    forms = []
    for heading in CRITERIA_HEADINGS[kind]:
        if heading.isascii() or " " in heading:
            form = r"\s+".join(re.escape(word) for word in heading.split())
        else:
            form = r"\s*".join(re.escape(character) for character in heading)
        forms.append(form.replace("'", "['\u2019]"))
    return "|".join(forms)


# A phase written in words: the English number words after "phase" ("Phase Two"), and an ordinal
# before the phase word of clinical trials ("the first phase of clinical trials", "вторая фаза
# клинического исследования", "la tercera fase del estudio clínico"): the clinical word is required,
# because "the second phase of the study" is often a period of one study, not its phase. Korean writes
# a lettered phase without 상 ("임상2b").
_PHASE_NUMBER_WORDS = {1: "one", 2: "two", 3: "three", 4: "four"}
_PHASE_ORDINALS = {
    1: r"first|1st|\u043f\u0435\u0440\u0432\w*|primer[ao]?|erste[nrsm]?|premi[e\u00e8]re|prim[ao]|primeir[ao]"
       r"|pierwsz\w*|prvn\u00ed\w*|ilk|birinci",
    2: r"second|2nd|\u0432\u0442\u043e\u0440\w*|segund[ao]|zweite[nrsm]?|deuxi[e\u00e8]me|seconde?|second[ao]"
       r"|drugiej|drug[a\u0105]|druh[\u00e1\u00e9]\w*|ikinci",
    3: r"third|3rd|\u0442\u0440\u0435\u0442\w*|tercer[ao]?|dritte[nrsm]?|troisi[e\u00e8]me|terz[ao]|terceir[ao]"
       r"|trzeci\w*|t\u0159et\u00ed\w*|\u00fc\u00e7\u00fcnc\u00fc",
}
_CLINICAL_WORD = r"(?:clinic|klini|cl\u00ednic|clinique|\u043a\u043b\u0438\u043d\u0438\u0447)\w*"


def _phase_word_forms() -> tuple[tuple[str, str], ...]:
    forms = []
    for number, word in _PHASE_NUMBER_WORDS.items():
        forms.append((rf"phase[\s-]+{word}(?![^\W\d_])", f"Phase {number}"))
    # Two ordinals sharing one phase word ("the first and second phases of clinical trials", "вторая и
    # третья фазы клинических испытаний") state both phases.
    for first, second in ((1, 2), (2, 3)):
        forms.append((rf"(?<![^\W\d_])(?:{_PHASE_ORDINALS[first]})\s+(?:and|\u0438|y|et|und|e|i|ve|oraz)\s+"
                      rf"(?:{_PHASE_ORDINALS[second]})\s+(?:{PHASE_WORDS})\w*[^.\n]{{0,40}}?{_CLINICAL_WORD}",
                      f"Phase {first}/{second}"))
    for number, ordinal in _PHASE_ORDINALS.items():
        forms.append((rf"(?<![^\W\d_])(?:{ordinal})\s+(?:{PHASE_WORDS})[^.\n]{{0,40}}?{_CLINICAL_WORD}", f"Phase {number}"))
    for number in range(1, 5):
        forms.append((rf"\uc784\uc0c1\s*{number}[ab](?![a-z0-9\uc0c1])", f"Phase {number}"))  # 임상2b
    # Hebrew "שלב" is also a disease's stage: it states a phase after the word for a trial ("ניסוי (קליני) שלב 3").
    for number, roman in ((1, "i"), (2, "ii"), (3, "iii"), (4, "iv")):
        forms.append((rf"\u05e0\u05d9\u05e1\u05d5\u05d9(?:\u05d9\u05dd)?(?:\s+\u05e7\u05dc\u05d9\u05e0\w*)?"
                      rf"\s+[\u05d1\u05d4]?\u05e9\u05dc\u05d1\s*(?:{number}|{roman})(?![\w/])", f"Phase {number}"))
    return tuple(forms)


# The people a recruiting trial seeks, after a verb of seeking and up to three describing words
# that are not prepositions ("seeking eligible adult patients", not "seeking treatments for patients").
_PEOPLE_SOUGHT = (r"(?: (?!for\b|to\b|with\b|of\b|from\b|in\b|by\b|on\b)\w+){0,3}"
                  r" (?:volunteers|patients|participants|people|subjects|men|women|adults|children)\b")
# The same gap in the other languages' verbs of seeking: at most two words, none a preposition.
_SOUGHT_GAP = (r"\s+(?:(?!(?:f\u00fcr|mit|bei|von|zu|\u00fcber|para|por|de|del|con|en|per|di|da|voor|van|met|bij)\b)\w+\s+){0,2}?")


# Enum wordings beyond the registries' English labels: (regex of the form, the English wording
# the normalizer reads). Other languages' forms, and the prose in which news items and hospital
# trial finders say where recruitment stands ("now enrolling", "closed to accrual"). Order matters
# where one form contains another: negated and longer forms come first, and these forms are tried
# before the registry labels ("completed enrollment" is not "Completed").
ENUM_FORMS: dict[str, tuple[tuple[str, str], ...]] = {
    "phases": _phase_word_forms(),
    # "either sex" in German, French, Spanish, Italian, Portuguese; "men and women" (either order) in
    # Dutch, German, French, Spanish, Italian, Portuguese, Polish, Russian, Turkish, Chinese, Japanese,
    # Korean. 男女 alone is both sexes, not in 男女比 / 男女別 (a ratio, a breakdown by sex).
    "sex": (
        (r"beide[n]? geschlechter\w*|beiderlei geschlechts|les deux sexes|ambos (?:os )?sexos|entrambi i sessi"
         r"|ambos (?:os )?g[e\u00e9]neros"
         r"|mannen (?:en|als) (?:ook )?vrouwen|vrouwen (?:en|als) (?:ook )?mannen"
         r"|m\u00e4nner und frauen|frauen und m\u00e4nner|hommes et (?:des )?femmes|femmes et (?:des )?hommes"
         r"|hombres y mujeres|mujeres y hombres|uomini e donne|donne e uomini|homens e mulheres|mulheres e homens"
         r"|kobiet\w* i m\u0119\u017cczyzn\w*|m\u0119\u017cczy\w* i kobiet\w*"
         r"|\u043c\u0443\u0436\u0447\u0438\u043d\w* \u0438 \u0436\u0435\u043d\u0449\u0438\u043d\w*"
         r"|\u0436\u0435\u043d\u0449\u0438\u043d\w* \u0438 \u043c\u0443\u0436\u0447\u0438\u043d\w*"
         r"|kad\u0131n ve erkek|erkek ve kad\u0131n"
         r"|\u7537\u5973(?![\u6bd4\u5225\u522b])|\u7537\u6027(?:\u548c|\u3068|\u53ca)\u5973\u6027"
         r"|\u5973\u6027(?:\u548c|\u3068|\u53ca)\u7537\u6027"
         r"|\ub0a8\ub140|\ub0a8\uc131\uacfc \uc5ec\uc131|\uc5ec\uc131\uacfc \ub0a8\uc131", "All"),
    ),
    "recruitment_status": (
        (r"(?:closed|no longer open) to (?:new )?(?:enrol\w*|recruitment|accrual|patients|participants)"
         r"|(?:enrol\w*|recruitment|accrual) (?:is |has |was )?(?:now )?(?:closed|complete[d]?)"
         r"|(?:completed|finished) (?:enrol\w*|recruitment|accrual)",
         "Active, not recruiting"),
        (r"(?:now|currently|actively) enrolling|open (?:to|for) (?:enrol\w*|recruitment|accrual|new patients)"
         r"|(?:enrol\w*|recruitment) (?:is )?(?:now )?open\b|accepting (?:new )?(?:patients|participants|volunteers)"
         # someone seeking the people a trial enrols: its recruitment is open ("is seeking volunteers", "are
         # looking for eligible patients"); up to three describing words between, none a preposition, so
         # "seeking new treatments for patients" is not it
         rf"|(?:is|are|now|currently|actively|still) (?:seeking|looking for){_PEOPLE_SOUGHT}"
         rf"|\bseeks?{_PEOPLE_SOUGHT}|(?:study|trial) is (?:now |currently )?enrolling\b",
         "Recruiting"),
        (r"(?:study|trial) (?:is )?complete\b", "Completed"),
        (r"noch nicht rekrutierend|pas encore (?:de )?recrut\w*|(?:a\u00fan|todav\u00eda) no (?:est\u00e1 )?reclutando"
         r"|non ancora in reclutamento|ainda n\u00e3o (?:est\u00e1 )?recrutando"
         r"|\u5c1a\u672a\u62db\u52df|\u5c1a\u672a\u5f00\u59cb\u62db\u52df|\u52df\u96c6\u524d|\ubaa8\uc9d1\s*\uc804",  # 尚未招募 尚未开始招募 募集前 모집 전
         "Not yet recruiting"),
        (r"rekrutierung abgeschlossen|recrutement termin\u00e9|activo,? no reclutando|reclutamento (?:completato|chiuso)"
         r"|\u53c2\u52a0\u8005\u52df\u96c6\u7d42\u4e86|\u52df\u96c6\u7d42\u4e86|\u62db\u52df\u5df2\u7ed3\u675f",  # 参加者募集終了 募集終了 招募已结束
         "Active, not recruiting"),
        # the same in the other languages: a verb of seeking, then the people sought (at most two words
        # between, none a preposition), or a headline's "volunteers wanted"
        (rf"\bsuch(?:t|en){_SOUGHT_GAP}(?:patient\w*|studienteilnehmer\w*|teilnehmer\w*|proband\w*|freiwillige\w*)"
         r"|\b(?:patient\w*|studienteilnehmer\w*|teilnehmer\w*|proband\w*|freiwillige\w*) gesucht"
         r"|\brecherch(?:e|ent) (?:activement |encore )?(?:des|de) (?:\w+ )?(?:volontaires|patient(?:e?s)?|participant(?:e?s)?)\b"
         rf"|\bbusca(?:n)?{_SOUGHT_GAP}(?:voluntari[oa]s|pacientes|participantes)\b"
         rf"|\bcerca(?:no)?{_SOUGHT_GAP}(?:volontari|pazienti|partecipanti)\b"
         rf"|\bprocura(?:m)?{_SOUGHT_GAP}(?:volunt\u00e1ri[oa]s|pacientes|participantes)\b"
         rf"|\bzoek(?:t|en){_SOUGHT_GAP}(?:vrijwilligers|pati\u00eb?nten|deelnemers)\b",
         "Recruiting"),
        (r"rekrutierend|rekrutierung l\u00e4uft|recrutement en cours|en cours de recrutement"
         r"|reclutando|en reclutamiento|in reclutamento|reclutamento in corso|recrutando|em recrutamento"
         r"|\u62db\u52df\u4e2d|\u6b63\u5728\u62db\u52df|\u4e00\u822c\u52df\u96c6\u4e2d|\u52df\u96c6\u4e2d|\ubaa8\uc9d1\s*\uc911",  # 招募中 正在招募 一般募集中 募集中 모집 중
         "Recruiting"),
        (r"\u8a66\u9a13\u7d42\u4e86|\u7814\u7a76\u7d42\u4e86|\u5df2\u5b8c\u6210",  # 試験終了 研究終了 已完成
         "Completed"),
        (r"\u5df2\u7ec8\u6b62|\u63d0\u524d\u7ec8\u6b62|\u65e9\u671f\u4e2d\u6b62|\uc870\uae30\s*\uc885\ub8cc",  # 已终止 提前终止 早期中止 조기 종료
         "Terminated"),
    ),
    "allocation": (
        (r"nicht randomisiert|non[- ]randomis\u00e9e?s?|no aleatorizado|n\u00e3o randomizado|non randomizzato"
         r"|niet gerandomiseerd|\u975e\u968f\u673a|\u975e\u30e9\u30f3\u30c0\u30e0\u5316|\ube44\ubb34\uc791\uc704"  # 非随机 非ランダム化 비무작위
         r"|icke[- ]randomiserad\w*|ikke[- ]randomiser\w*|nierandomizowan\w*|nerandomizovan\w*"  # sv, da/no, pl, cs
         r"|\u043d\u0435\u0440\u0430\u043d\u0434\u043e\u043c\u0438\u0437\u0438\u0440\u043e\u0432\u0430\u043d\u043d\w*",  # нерандомизированн-
         "Non-Randomized"),
        (r"randomisiert\w*|randomis\u00e9e?s?|aleatorizad[oa]s?|randomizad[oa]s?|randomizzat[oa]|gerandomiseerd"
         r"|\u968f\u673a|\u96a8\u6a5f|\u30e9\u30f3\u30c0\u30e0\u5316|\u7121\u4f5c\u70ba\u5316|\ubb34\uc791\uc704"  # 随机 隨機 ランダム化 無作為化 무작위
         r"|randomiserad\w*|randomiseret|randomisert\w*|randomizowan\w*|randomizovan\w*"  # sv, da, no, pl, cs
         r"|\u0440\u0430\u043d\u0434\u043e\u043c\u0438\u0437\u0438\u0440\u043e\u0432\u0430\u043d\u043d\w*"  # рандомизированн-
         # "random" only after the word for a trial or study: alone it is any random thing. Hebrew ניסוי/מחקר
         # ... אקראי, Arabic دراسة/تجربة ... عشوائية, Persian کارآزمایی ... تصادفی
         r"|(?:\u05e0\u05d9\u05e1\u05d5\u05d9|\u05de\u05d7\u05e7\u05e8)\w*(?:\s+\S+){0,2}?\s+\u05d0\u05e7\u05e8\u05d0\u05d9\w*"
         r"|(?:\u062f\u0631\u0627\u0633\u0629|\u062a\u062c\u0631\u0628\u0629)\w*(?:\s+\S+){0,2}?\s+\u0639\u0634\u0648\u0627\u0626\u064a\w*"
         r"|\u06a9\u0627\u0631\u0622\u0632\u0645\u0627\u06cc\u06cc(?:\s+\S+){0,2}?\s+\u062a\u0635\u0627\u062f\u0641\u06cc",
         "Randomized"),
    ),
    "masking": (
        (r"doppel(?:-| )?blind|doppelt verblindet|double[- ]aveugle|double insu|doble ciego|doppio cieco"
         r"|duplo[- ]cego|dubbelblind|dobbeltblind\w*|\u53cc\u76f2|\u96d9\u76f2|\u4e8c\u91cd\u76f2\u691c|\uc774\uc911\s*\ub9f9\uac80"  # 双盲 雙盲 二重盲検 이중맹검
         r"|\uc774\uc911\s*\ub208\uac00\ub9bc"  # 이중 눈가림
         r"|podw\u00f3jn\w*\s+(?:za)?\u015blep\w*|podw\u00f3jn\w*\s+za\u015blepieni\w*|dvojit\u011b\s+(?:za)?slep\w*"  # pl, cs
         r"|\u00e7ift[- ]k\u00f6r\w*|\u0434\u0432\u043e\u0439\u043d\w*\s+\u0441\u043b\u0435\u043f\w*"  # çift kör, двойное слепое
         r"|\u05e1\u05de\u05d9\u05d5\u05ea\s+\u05db\u05e4\u05d5\u05dc\u05d4|\u05db\u05e4\u05d5\u05dc[- ]\u05e1\u05de\u05d9\u05d5\u05ea"  # סמיות כפולה, כפול סמיות
         r"|\u0645\u0632\u062f\u0648\u062c\u0629?\s+\u0627\u0644\u062a\u0639\u0645\u064a\u0629|\u0627\u0644\u062a\u0639\u0645\u064a\u0629\s+\u0627\u0644\u0645\u0632\u062f\u0648\u062c\u0629"  # مزدوج التعمية
         r"|\u062f\u0648\s*\u0633\u0648\s*\u06a9\u0648\u0631",  # دوسوکور
         "Double"),
        (r"einfach(?:-| )?blind|simple aveugle|simple ciego|singolo cieco|cego simples|enkelblind"
         r"|\u5355\u76f2|\u55ae\u76f2|\u5358\u76f2\u691c|\ub2e8\uc77c\s*\ub9f9\uac80"  # 单盲 單盲 単盲検 단일맹검
         r"|\ub2e8\uc77c\s*\ub208\uac00\ub9bc|pojedyncz\w*\s+(?:za)?\u015blep\w*|jednoduch\u011b\s+(?:za)?slep\w*"  # 단일 눈가림, pl, cs
         r"|tek[- ]k\u00f6r\w*|(?:\u043e\u0434\u0438\u043d\u0430\u0440\u043d|\u043f\u0440\u043e\u0441\u0442)\w*\s+\u0441\u043b\u0435\u043f\w*"  # tek kör, одинарное/простое слепое
         r"|\u06cc\u06a9\s*\u0633\u0648\s*\u06a9\u0648\u0631",  # یک سو کور
         "Single"),
        (r"dreifach(?:-| )?blind|triple aveugle|triple ciego|triplo cieco|triplo[- ]cego|\u4e09\u76f2"  # 三盲
         r"|\u00fc\u00e7l\u00fc[- ]k\u00f6r\w*|\u0442\u0440\u043e\u0439\u043d\w*\s+\u0441\u043b\u0435\u043f\w*",  # üçlü kör, тройное слепое
         "Triple"),
        (r"unverblindet|offene studie|en ouvert|etiqueta abierta|ensayo abierto|in aperto|r\u00f3tulo aberto"
         r"|\u5f00\u653e\u6807\u7b7e|\u975e\u76f2|\u30aa\u30fc\u30d7\u30f3\u30e9\u30d9\u30eb|\u975e\u76f2\u691c|\uacf5\uac1c\s*\ub77c\ubca8",  # 开放标签 非盲 オープンラベル 非盲検 공개 라벨
         "Open Label"),
    ),
}


def enum_forms_pattern(field_name: str) -> str:
    """The wordings of one enum field beyond its registry labels, as one regex alternation ('' if none)."""
    return "|".join(f"(?:{form})" for form, _ in ENUM_FORMS.get(field_name, ()))


def english_wording(field_name: str, surface: str) -> str:
    """The registry wording a form of this field stands for; the surface itself otherwise."""
    for form, english in ENUM_FORMS.get(field_name, ()):
        if re.fullmatch(form, surface.strip(), re.IGNORECASE):
            return english
    return surface


# Words for the study or trial itself, in the pages' languages: 试验 試験 研究 임상.
TRIAL_WORDS = (r"trials?|stud(?:y|ies)|studie[n]?|essai|ensayo|estudio|studio|\u8bd5\u9a8c|\u8a66\u9a13"
               r"|\u7814\u7a76|\uc784\uc0c1")


# Words by which a name says it is a company: a legal form ending the name, or the drug
# industry's words, in the languages of the pages ("Acme Pharma Inc.", "Acme Therapeutics",
# "종근당제약", "武田薬品工業", "开拓药业", "Acme S.p.A."). A company a trial page names is the party
# developing the drug.
COMPANY_NAME_WORDS = (
    r"(?<![^\W\d_])(?:inc|ltd|llc|corp|corporation|co|plc|gmbh|ag|s\.?a|s\.?p\.?a|s\.?r\.?l|n\.?v|b\.?v|k\.?k|a/s|ab|oy)"
    r"\.?\)?\s*$"
    r"|(?<![^\W\d_])(?:pharma\w*|therapeutics|biotech\w*|biopharma\w*|biosciences?|biologics"
    r"|laborator(?:y|ies|ios?|oires?)|ila\u00e7)(?![^\W\d_])"  # ilaç: Turkish "drug (company)"
    r"|\uc81c\uc57d|\ubc14\uc774\uc624|\ud30c\ub9c8|\u85ac\u54c1|\u88fd\u85ac|\u30d5\u30a1\u30fc\u30de"  # 제약 바이오 파마 薬品 製薬 ファーマ
    r"|\u836f\u4e1a|\u5236\u836f|\u533b\u836f|\u85e5\u696d|\u88fd\u85e5|\u6709\u9650\u516c\u53f8"  # 药业 制药 医药 藥業 製藥 有限公司
)

# The word for a company (a firm), by which a page calls an organization one: "the company",
# "la société X", "das Unternehmen", "компания X", "X公司". Stems, so that compounds and inflected
# forms count ("Biotechunternehmen", "bolaget", "компании"). A company running a trial is its
# sponsor wherever the page says so in its own language. Not "firma" (Spanish and Italian
# "signature") nor "Gesellschaft" (also a learned society).
COMPANY_WORDS = (
    r"compan|compa\u00f1\u00eda|soci\u00e9t\u00e9|entreprise|unternehmen|konzern|empresa|azienda|societ\u00e0"
    r"|bedrijf|onderneming|bolag|f\u00f6retag|selskab|selskap|yhti\u00f6|sp\u00f3\u0142k|\u015firket"
    r"|\u043a\u043e\u043c\u043f\u0430\u043d\u0438"  # компани
    r"|\ud68c\uc0ac|\uae30\uc5c5|\u4f1a\u793e|\u4f01\u696d|\u516c\u53f8|\u4f01\u4e1a"  # 회사 기업 会社 企業 公司 企业
)
